// What the store keeps, as plain values: the engine fills them in, the store writes and
// reads them, the CLI prints them. Nothing here knows SQLite or the engine's run objects.
//
// Ids. A flow run's id is a UUID (text, 36 characters, time-ordered: its first 48 bits are
// the start time in Unix milliseconds), unique across every invocation sharing a store.
// A task run is known by its flow run's id and its run number there (the engine's run id,
// unique within the invocation); task_run_uuid() turns both into a UUID of its own.
#pragma once

#include "base/state.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rh::host {

// One entry of a run's state history.
struct StateRecord {
  std::int64_t time_us = 0;  // wall clock, Unix microseconds
  StateId state = StateId::Pending;
  std::string message;
};

// The top-level run of one invocation (a flow run, or a task run started on its own), as it
// starts. Written at once, so a run killed with kill -9 still shows in `runner-host runs`.
struct FlowRunStart {
  std::string id;    // UUID
  std::string name;  // the run's name ("order-3fa")
  std::string flow;  // the flow's (or task's) name
  bool is_flow = true;
  std::string library;
  std::string library_version;
  std::string params;  // JSON object, as given
  std::string command_line;
  std::string runner;
  std::string resumed_from;  // UUID of the flow run this one resumes, or empty
  std::int64_t start_us = 0;
};

// The same run as it ends.
struct FlowRunEnd {
  std::string id;
  StateId state = StateId::Completed;
  std::string message;
  std::vector<StateRecord> history;
  std::string result;  // JSON, when Completed
  std::string error_type;
  std::string error_message;
  std::int64_t end_us = 0;
};

// One task run, written once it is terminal.
struct TaskRunRecord {
  std::string flow_run_id;          // UUID of its flow run
  std::uint64_t run_no = 0;         // the engine's run id within the invocation
  std::uint64_t parent_run_no = 0;  // 0: submitted by the flow run itself
  std::string task;
  std::string name;
  std::string library;
  std::string library_version;
  std::string task_version;  // the task's declared version, or empty
  std::string params;        // resolved parameters, JSON object
  StateId state = StateId::Completed;
  std::vector<StateRecord> history;
  std::uint32_t run_count = 0;
  // JSON, when the run completed and its task persists results; empty otherwise.
  std::string result;
  bool result_persisted = false;
  std::string error_type;
  std::string error_message;
  std::int64_t start_us = 0;  // first Running, 0 if it never ran
  std::int64_t end_us = 0;
  std::int64_t run_time_us = 0;  // time spent running
  // When not empty, the store records a cache entry under this key pointing at the result
  // (only for Completed runs with a persisted result), replacing any older one.
  std::string cache_key;
  std::int64_t cache_expires_us = 0;  // 0: never
  // The run numbers of the runs it waited for (its dependency edges), in the order given.
  std::vector<std::uint64_t> upstreams;
};

// A transaction that committed under its key (docs/transactions.md): a later transaction
// with the same key finds it (Transaction::is_committed). Its values are what txn.set()
// stored, as a JSON object.
struct TransactionRecord {
  std::string key;
  std::string flow_run_id;  // the flow run it committed in
  std::string values;       // JSON object
  std::int64_t committed_us = 0;
};

// The end of this session's hold on a key lock (SERIALIZABLE isolation, docs/store.md). It is
// written in order with the records queued before it, so another process sees the key free
// only once the cache entry or transaction record its holder wrote is committed. The token
// names the acquisition: a release that comes after the key was taken again frees nothing.
struct LockRelease {
  std::string key;
  std::string token;
};

// The store's answer to a lock request: the acquisition's token, or why there is none.
struct LockGrant {
  std::string token;
  std::string error;  // set when the lock could not be taken (the store could not be written)
};

// A cache lookup. On a miss the store says why, so the engine can tell the user.
struct CacheLookup {
  enum class Outcome { Hit, NoRecord, Expired };
  Outcome outcome = Outcome::NoRecord;
  std::string result;           // Hit
  std::string source_flow_run;  // Hit: the flow run that computed it
  std::uint64_t source_run_no = 0;
  std::int64_t expired_at_us = 0;  // Expired
};

// A row of `runner-host runs`.
struct FlowRunSummary {
  std::string id;
  std::string name;
  std::string flow;
  bool is_flow = true;
  std::string library;
  std::string library_version;
  std::string params;
  std::string command_line;
  std::string runner;
  std::string resumed_from;
  // Running while it has not ended (it may also have been killed: `ended` says no).
  StateId state = StateId::Running;
  bool ended = false;
  std::string message;
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;  // 0 while not ended
  std::uint64_t task_runs = 0;
  std::array<std::uint64_t, kStateCount> by_state{};  // task runs by final state
};

struct FlowRunFilter {
  std::size_t limit = 20;
  std::string flow;              // empty: any
  std::optional<StateId> state;  // none: any; Running matches runs that never ended
};

struct StoreInfo {
  std::string path;
  std::uint64_t file_bytes = 0;  // database, WAL and result files
  std::uint64_t result_file_bytes = 0;
  int schema_version = 0;
  std::uint64_t flow_runs = 0;
  std::uint64_t task_runs = 0;
  std::uint64_t persisted_results = 0;
  std::uint64_t cache_entries = 0;
  std::uint64_t result_files = 0;
};

struct PruneResult {
  std::uint64_t flow_runs = 0;
  std::uint64_t task_runs = 0;
  std::uint64_t cache_entries = 0;  // expired entries removed
  std::uint64_t result_files = 0;
  std::uint64_t kept_for_cache = 0;  // old task runs kept because an unexpired cache entry uses them
  std::uint64_t transactions = 0;    // transaction records committed before the cut-off
};

// The UUID of task run `run_no` of the flow run `flow_run_id`: the flow run's UUID with its
// last 64 bits mixed with the run number (a bijection for a given flow run, so task runs of
// one flow run never collide, and still version 8 / RFC 4122 variant).
std::string task_run_uuid(const std::string& flow_run_id, std::uint64_t run_no);

// A new flow run UUID: 48 bits of Unix milliseconds, version 7, then random bits.
std::string new_flow_run_uuid();

}  // namespace rh::host
