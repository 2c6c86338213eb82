// `runner-host runs` and `runner-host show`: past flow runs, read from the store.
#include "cli/store_commands.hpp"

#include "base/format.hpp"
#include "base/time_format.hpp"
#include "cli/exit_codes.hpp"
#include "cli/report_fields.hpp"
#include "cli/run_table.hpp"
#include "cli/state_colors.hpp"
#include "store/store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <map>
#include <vector>

namespace rh::host {
namespace {

using nlohmann::json;

// "2026-12-03 07:01:02" (UTC, to the second): the tables' start column.
std::string table_time(std::int64_t us) {
  std::string stamp = format_timestamp_us(us);
  stamp[10] = ' ';
  return stamp.substr(0, 19);
}

// Its task runs by final state name.
std::map<std::string, std::uint64_t> counts_by_name(const FlowRunSummary& run) {
  std::map<std::string, std::uint64_t> by_name;
  for (int id = 0; id < kStateCount; ++id) {
    if (const std::uint64_t n = run.by_state[static_cast<std::size_t>(id)]; n != 0) {
      by_name[std::string(state_name(static_cast<StateId>(id)))] = n;
    }
  }
  return by_name;
}

// "8 Completed, 2 Failed".
std::string counts_text(const FlowRunSummary& run) {
  std::string text;
  for (const auto& [state, n] : counts_by_name(run)) {
    text += (text.empty() ? "" : ", ") + std::to_string(n) + ' ' + state;
  }
  return text;
}

json summary_to_json(const FlowRunSummary& run) {
  return {{"id", run.id},
          {"name", run.name},
          {"flow", run.flow},
          {"is_flow", run.is_flow},
          {"library", run.library},
          {"library_version", run.library_version},
          {"state", std::string(state_name(run.state))},
          {"ended", run.ended},
          {"message", run.message},
          {"start_time", time_or_null(run.start_us)},
          {"end_time", time_or_null(run.end_us)},
          {"duration", run.ended ? json(static_cast<double>(run.end_us - run.start_us) / 1e6) : json()},
          {"params", parse_or_text(run.params, json::object())},
          {"command_line", run.command_line},
          {"runner", run.runner},
          {"resumed_from", run.resumed_from.empty() ? json() : json(run.resumed_from)},
          {"task_runs", run.task_runs},
          {"by_state", counts_by_name(run)}};
}

json history_to_json(const std::vector<StateRecord>& history, json* states) {
  json out = json::array();
  for (const StateRecord& entry : history) {
    const StateInfo& info = state_info(entry.state);
    if (states != nullptr) states->push_back(std::string(info.name));
    json item = {{"name", std::string(info.name)},
                 {"type", std::string(info.type_name)},
                 {"timestamp", format_timestamp_us(entry.time_us)}};
    if (!entry.message.empty()) item["message"] = entry.message;
    out.push_back(std::move(item));
  }
  return out;
}

std::string final_message(const std::vector<StateRecord>& history) {
  return history.empty() ? std::string() : history.back().message;
}

// One task run as the report's "task_runs" show it, as far as the store keeps it.
json task_run_to_json(const TaskRunRecord& run) {
  const StateInfo& info = state_info(run.state);
  json states = json::array();
  json history = history_to_json(run.history, &states);
  json out = {{"id", run.run_no},
              {"uuid", task_run_uuid(run.flow_run_id, run.run_no)},
              {"task", run.task},
              {"name", run.name},
              {"parent_id", run.parent_run_no == 0 ? json() : json(run.parent_run_no)},
              {"library", run.library},
              {"library_version", run.library_version},
              {"task_version", run.task_version.empty() ? json() : json(run.task_version)},
              {"state",
               {{"type", std::string(info.type_name)},
                {"name", std::string(info.name)},
                {"message", final_message(run.history)}}},
              {"states", std::move(states)},
              {"history", std::move(history)},
              {"run_count", run.run_count},
              {"start_time", time_or_null(run.start_us)},
              {"end_time", time_or_null(run.end_us)},
              {"total_run_time", static_cast<double>(run.run_time_us) / 1e6},
              {"params", parse_or_text(run.params, json::object())}};
  if (!run.cache_key.empty()) out["cache"] = {{"key", run.cache_key}};
  if (is_completed(run.state)) {
    out["result"] = run.result_persisted ? parse_or_text(run.result, json()) : json();
    out["result_persisted"] = run.result_persisted;
  } else {
    out["error"] = {{"type", run.error_type},
                    {"message", run.error_message.empty() ? final_message(run.history) : run.error_message}};
  }
  return out;
}

void print_runs_table(std::ostream& out, Store& store, const std::vector<FlowRunSummary>& runs) {
  struct Row {
    std::string id, flow, state, start, duration, task_runs;
  };
  std::vector<Row> rows;
  rows.push_back({"ID", "FLOW", "STATE", "START (UTC)", "DURATION", "TASK RUNS"});
  for (const FlowRunSummary& run : runs) {
    const std::string counts = counts_text(run);
    rows.push_back({store.short_id(run.id), run.flow, std::string(state_name(run.state)), table_time(run.start_us),
                    run.ended ? format_duration(run.end_us - run.start_us) : std::string("-"),
                    std::to_string(run.task_runs) + (counts.empty() ? "" : " (" + counts + ")")});
  }
  std::size_t widths[5] = {};
  for (const Row& row : rows) {
    const std::string* cells[5] = {&row.id, &row.flow, &row.state, &row.start, &row.duration};
    for (int i = 0; i < 5; ++i) widths[i] = std::max(widths[i], cells[i]->size());
  }
  for (const Row& row : rows) {
    const std::string* cells[5] = {&row.id, &row.flow, &row.state, &row.start, &row.duration};
    for (int i = 0; i < 5; ++i) out << std::left << std::setw(static_cast<int>(widths[i])) << *cells[i] << "  ";
    out << row.task_runs << '\n';
  }
}

RunRow row_of(const TaskRunRecord& run) {
  return RunRow{run.task, run.name, std::string(state_name(run.state)), std::to_string(run.run_count),
                format_duration(run.run_time_us)};
}

// The table printed at the end of a run, from the store: every task run up to 50, beyond
// that (unless `all`) only those that did not complete. The store is read one run at a
// time (twice with `all`: widths first), so a flow run of a million runs is never in memory.
void print_task_runs_table(std::ostream& out, Store& store, const std::string& flow_run_id, bool all) {
  constexpr std::size_t kMaxRows = 50;
  std::vector<RunRow> first, unfinished;  // the first kMaxRows + 1, and those that did not complete
  std::map<std::string, std::uint64_t> by_state;
  std::uint64_t total = 0;
  const bool color = terminal_colors(STDOUT_FILENO);
  RunTable table(color);
  store.each_task_run(flow_run_id, [&](TaskRunRecord&& run) {
    ++total;
    ++by_state[std::string(state_name(run.state))];
    if (all) {
      table.fit(row_of(run));
      return;
    }
    const bool unfinished_row = !is_completed(run.state) && unfinished.size() < kMaxRows;
    if (!unfinished_row && first.size() > kMaxRows) return;
    RunRow row = row_of(run);
    if (unfinished_row) unfinished.push_back(row);
    if (first.size() <= kMaxRows) first.push_back(std::move(row));
  });
  const bool every = all || total <= kMaxRows;
  const std::vector<RunRow>& shown = total <= kMaxRows ? first : unfinished;
  for (const RunRow& row : shown) table.fit(row);
  if (total != 0 && (all || !shown.empty())) table.print_header(out);
  if (all) {
    store.each_task_run(flow_run_id, [&](TaskRunRecord&& run) { table.print(out, row_of(run)); });
  } else {
    for (const RunRow& row : shown) table.print(out, row);
  }
  print_run_counts(out, total, by_state, every, shown.size(), "--all shows every one", color);
}

int store_error(std::ostream& err, const StoreError& e) {
  err << "runner-host: " << e.what() << '\n';
  return kExitUsage;
}

}  // namespace

int runs_command(const RunConfig& config, const RunsQuery& query, std::ostream& out, std::ostream& err) {
  FlowRunFilter filter;
  filter.limit = query.limit;
  filter.flow = query.flow;
  if (!query.state.empty()) {
    filter.state = state_from_name(query.state);
    if (!filter.state) {
      std::string names;
      for (int id = 0; id < kStateCount; ++id) {
        names += (id == 0 ? "" : ", ") + std::string(state_name(static_cast<StateId>(id)));
      }
      err << "runner-host: --state: no state is called '" << query.state << "' (one of " << names << ")\n";
      return kExitUsage;
    }
  }
  try {
    const std::unique_ptr<Store> store = open_store_to_read(config);
    const std::vector<FlowRunSummary> runs = store->list_flow_runs(filter);
    if (query.json) {
      json list = json::array();
      for (const FlowRunSummary& run : runs) list.push_back(summary_to_json(run));
      out << list.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    } else if (runs.empty()) {
      out << "no flow runs" << (filter.flow.empty() && !filter.state ? "" : " match") << " in "
          << store->path().string() << '\n';
    } else {
      print_runs_table(out, *store, runs);
    }
    return kExitOk;
  } catch (const StoreError& e) {
    return store_error(err, e);
  }
}

int show_command(const RunConfig& config, const ShowQuery& query, std::ostream& out, std::ostream& err) {
  try {
    const std::unique_ptr<Store> store = open_store_to_read(config);
    const FlowRunSummary run = store->find_flow_run(query.ref);
    const std::optional<FlowRunEnd> end = store->flow_run_end(run.id);
    if (query.json) {
      json flow = summary_to_json(run);
      if (end) {
        flow["history"] = history_to_json(end->history, nullptr);
        if (is_completed(end->state)) {
          flow["result"] = parse_or_text(end->result, json());
        } else {
          flow["error"] = {{"type", end->error_type}, {"message", end->error_message}};
        }
      }
      out << "{\n  \"schema\": 1,\n  \"flow_run_id\": " << json(run.id).dump()
          << ",\n  \"flow\": " << flow.dump(-1, ' ', false, json::error_handler_t::replace) << ",\n  \"task_runs\": [";
      std::map<std::string, std::uint64_t> by_state;
      std::uint64_t count = 0;
      store->each_task_run(run.id, [&](TaskRunRecord&& task_run) {
        out << (count++ == 0 ? "\n    " : ",\n    ")
            << task_run_to_json(task_run).dump(-1, ' ', false, json::error_handler_t::replace);
        ++by_state[std::string(state_name(task_run.state))];
      });
      const json summary = {{"task_runs", count}, {"by_state", by_state}};
      out << (count == 0 ? "],\n" : "\n  ],\n") << "  \"summary\": " << summary.dump() << "\n}\n";
      return kExitOk;
    }
    out << (run.is_flow ? "flow run " : "task run ") << run.id << " (" << run.name
        << "): " << (run.is_flow ? "flow " : "task ") << run.flow << ", " << state_name(run.state);
    if (!run.ended) out << " (never ended: still running, or its process was killed)";
    out << '\n' << "started " << table_time(run.start_us) << " UTC";
    if (run.ended) out << ", took " << format_duration(run.end_us - run.start_us);
    out << ", runner " << run.runner << '\n';
    if (!run.command_line.empty()) out << "command: " << run.command_line << '\n';
    if (!run.resumed_from.empty()) out << "resumes flow run " << run.resumed_from << '\n';
    if (!run.message.empty()) out << "message: " << run.message << '\n';
    out << '\n';
    print_task_runs_table(out, *store, run.id, query.all);
    return kExitOk;
  } catch (const StoreError& e) {
    return store_error(err, e);
  }
}

}  // namespace rh::host
