// The SQL of the store's reads, in one place so that tests can check their query plans
// (EXPLAIN QUERY PLAN: every read is an index search or range, none scans task_runs).
// Column orders are those store_reads.cpp reads them in.
#pragma once

#include "base/state.hpp"
#include "store/store_schema.hpp"

#include <optional>
#include <string>

namespace rh::host::detail {

static_assert(kRunNoBits == 36, "the SQL below writes task_run_key out as << 36");

#define RH_STORE_SUMMARY_COLUMNS                                                                                \
  "uuid, name, flow, is_flow, library, library_version, params, command_line, runner, resumed_from, start_us, " \
  "end_us, state, message, task_runs, counts"

inline constexpr const char* kSelectFlowRunSummaries = "SELECT " RH_STORE_SUMMARY_COLUMNS " FROM flow_runs";
inline constexpr const char* kLastFlowRun =
    "SELECT " RH_STORE_SUMMARY_COLUMNS " FROM flow_runs ORDER BY start_us DESC, id DESC LIMIT 1";
// Two rows at most: one says it is unique, two that it is not.
inline constexpr const char* kFlowRunsByPrefix =
    "SELECT " RH_STORE_SUMMARY_COLUMNS " FROM flow_runs WHERE uuid >= ?1 AND uuid < ?2 ORDER BY uuid LIMIT 2";
inline constexpr const char* kCountFlowRunsByPrefix = "SELECT count(*) FROM flow_runs WHERE uuid >= ?1 AND uuid < ?2";
inline constexpr const char* kFlowRunIdBefore = "SELECT uuid FROM flow_runs WHERE uuid < ?1 ORDER BY uuid DESC LIMIT 1";
inline constexpr const char* kFlowRunIdAfter = "SELECT uuid FROM flow_runs WHERE uuid > ?1 ORDER BY uuid LIMIT 1";
inline constexpr const char* kFlowRunRow = "SELECT id FROM flow_runs WHERE uuid = ?1";
inline constexpr const char* kFlowRunEnd =
    "SELECT end_us, state, message, history, result, result_file, result_bytes, error_type, error_message "
    "FROM flow_runs WHERE uuid = ?1";
// A flow run's task runs are the rowid range [task_run_key(row, 0), task_run_key(row, max)].
inline constexpr const char* kTaskRunsOfFlowRun =
    "SELECT run_no, parent_run_no, task, name, library, library_version, task_version, params, state, history, "
    "run_count, result, result_file, result_bytes, error_type, error_message, start_us, end_us, run_time_us, "
    "cache_key, cache_expires_us, upstreams FROM task_runs WHERE id BETWEEN ?1 AND ?2 ORDER BY id";
inline constexpr const char* kLookupCache =
    "SELECT c.expires_us, f.uuid, c.run_no, t.id, t.result, t.result_file, t.result_bytes FROM cache_entries AS c "
    "LEFT JOIN task_runs AS t ON t.id = (c.flow_run << 36) | c.run_no "
    "LEFT JOIN flow_runs AS f ON f.id = c.flow_run WHERE c.key = ?1";

inline constexpr const char* kFindTransaction = "SELECT flow_run, committed_us, vals FROM transactions WHERE key = ?1";

#undef RH_STORE_SUMMARY_COLUMNS

// Latest first; parameters in order: the flow (when by_flow), the state name (when `state`
// is set and not Running, which matches the runs that never ended), the limit.
inline std::string list_flow_runs_sql(bool by_flow, std::optional<StateId> state) {
  std::string sql = kSelectFlowRunSummaries;
  const char* joint = " WHERE ";
  if (by_flow) {
    sql += joint;
    sql += "flow = ?";
    joint = " AND ";
  }
  if (state) {
    sql += joint;
    sql += *state == StateId::Running ? "end_us IS NULL" : "state = ?";
  }
  sql += " ORDER BY start_us DESC, id DESC LIMIT ?";
  return sql;
}

}  // namespace rh::host::detail
