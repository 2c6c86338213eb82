#include "cli/report.hpp"

#include "store/store_records.hpp"

#include "base/format.hpp"
#include "base/output_files.hpp"
#include "base/time_format.hpp"
#include "cli/report_fields.hpp"
#include "cli/report_spool.hpp"
#include "cli/run_table.hpp"
#include "engine/task_registry.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

namespace rh::host {
namespace {

using nlohmann::json;

// Under the run's lock: a report written while the host is being forced to end (a second
// interrupt, a task calling exit()) may meet a run a worker is still finishing.
json locked_run_to_json(const Run& run);

}  // namespace

json run_to_json(const Run& run) {
  const StateEntry& current = run.current();
  const StateInfo& info = state_info(current.id);
  json states = json::array();
  json history = json::array();
  for (const StateEntry& entry : run.history()) {
    const StateInfo& e = state_info(entry.id);
    states.push_back(std::string(e.name));
    json item = {{"name", std::string(e.name)},
                 {"type", std::string(e.type_name)},
                 {"timestamp", format_timestamp_us(entry.time_us)}};
    if (const StateDetail* detail = run.detail(entry)) {
      if (!detail->message.empty()) item["message"] = detail->message;
      if (detail->scheduled_us != 0) item["scheduled_time"] = format_timestamp_us(detail->scheduled_us);
    }
    history.push_back(std::move(item));
  }
  json inputs = json::array();
  for (const Upstream& upstream : run.upstreams()) inputs.push_back(upstream.run->id());

  const RunScope& scope = *run.scope();
  const bool root = run.parent_id() == 0;
  json out = {
      {"id", run.id()},
      // Unique across every invocation sharing a store (the store's ids); the root run's is
      // its flow run's id.
      {"uuid", root && run.is_flow() ? scope.flow_run_uuid() : task_run_uuid(scope.flow_run_uuid(), run.id())},
      {"task", run.task().name},
      {"name", run.name()},
      {"parent_id", run.parent_id() == 0 ? json() : json(run.parent_id())},
      {"flow_run_id", run.flow_run_id() == 0 ? json() : json(run.flow_run_id())},
      {"state",
       {{"type", std::string(info.type_name)}, {"name", std::string(info.name)}, {"message", run.message(current)}}},
      {"states", std::move(states)},
      {"history", std::move(history)},
      {"run_count", run.run_count()},
      {"started", run.started()},
      {"start_time", time_or_null(run.start_time_us())},
      {"end_time", time_or_null(run.end_time_us())},
      {"total_run_time", static_cast<double>(run.total_run_time_us()) / 1e6},
      {"params", parse_or_text(run.params(), json::object())},
      {"inputs", std::move(inputs)},
  };
  if (const CacheNote* cache = run.cache_note()) {
    out["cache"] = {{"key", cache->key.empty() ? json() : json(cache->key)}, {"outcome", cache->outcome}};
  }
  if (is_completed(current.id)) {
    out["result"] = parse_or_text(run.result(), json());
  } else if (const RunError* error = run.error()) {
    out["error"] = {{"type", error->type}, {"message", error->message}};
  } else {
    out["error"] = {{"type", ""}, {"message", std::string(run.message(current))}};
  }
  return out;
}

namespace {

json locked_run_to_json(const Run& run) {
  std::lock_guard<SpinLock> lock(run.lock());
  return run_to_json(run);
}

}  // namespace

namespace {

std::string dump(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Indented like json::dump(2) one level further in, written piece by piece.
std::string indent_block(const std::string& text, const char* pad) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

// Adds the retired runs' counts, by state name.
void add_counts(std::map<std::string, std::uint64_t>& by_state, const RunTally& retired) {
  for (int id = 0; id < kStateCount; ++id) {
    if (const std::uint64_t n = retired.by_state[static_cast<std::size_t>(id)]; n != 0) {
      by_state[std::string(state_name(static_cast<StateId>(id)))] += n;
    }
  }
}

}  // namespace

std::string report_entry(const Run& run) { return indent_block(dump(locked_run_to_json(run), 2), "    "); }

void write_report(std::ostream& out, const RunScope& scope, const std::string& runner, bool interrupted,
                  ReportSpool* spool, const json& store) {
  const auto hold = scope.hold_retirement();  // every run once: spooled or held
  std::map<std::string, std::uint64_t> by_state;
  json never_started = json::array();
  std::uint64_t count = 0;
  json flow;
  if (const RunRef& flow_run = scope.flow_run()) {
    flow = locked_run_to_json(*flow_run);
    flow["flow"] = flow_run->task().name;
  }
  out << "{\n  \"schema\": 1,\n  \"runner\": " << dump(runner, -1)
      << ",\n  \"flow_run_id\": " << dump(scope.flow_run_uuid(), -1) << ",\n  \"store\": " << dump(store, -1)
      << ",\n  \"interrupted\": " << (interrupted ? "true" : "false")
      << ",\n  \"flow\": " << indent_block(dump(flow, 2), "  ") << ",\n  \"task_runs\": [";
  if (spool != nullptr && spool->runs() != 0) {
    out << "\n    ";
    spool->copy_to(out);
    count = spool->runs();
    add_counts(by_state, scope.retired_tally());  // the spool holds exactly the retired runs
    for (std::uint64_t id : spool->never_started()) never_started.push_back(id);
  }
  for (const RunRef& run : scope.runs()) {
    out << (count == 0 ? "\n    " : ",\n    ") << report_entry(*run);
    ++count;
    ++by_state[std::string(state_name(run->state()))];
    if (!run->started()) never_started.push_back(run->id());
  }
  const json summary = {{"task_runs", count}, {"by_state", by_state}, {"never_started", never_started}};
  out << (count == 0 ? "],\n" : "\n  ],\n") << "  \"summary\": " << indent_block(dump(summary, 2), "  ") << "\n}\n";
}

void write_report_file(const std::string& path, const RunScope& scope, const std::string& runner, bool interrupted,
                       ReportSpool* spool, const json& store) {
  write_file_atomically(path, "the report",
                        [&](std::ostream& out) { write_report(out, scope, runner, interrupted, spool, store); });
}

void print_summary(std::ostream& out, const RunScope& scope, std::size_t max_rows, bool color) {
  const auto hold = scope.hold_retirement();  // every run once: retired (counted) or held
  const std::vector<RunRef> runs = scope.runs();
  const RunTally& retired = scope.retired_tally();
  const std::uint64_t total = retired.runs + runs.size();
  const bool all = total <= max_rows;  // then nothing was retired: more are held first
  std::vector<const Run*> shown;
  if (all) {
    for (const RunRef& run : runs) shown.push_back(run.get());
  } else {
    for (const RunRef& run : scope.kept_unsuccessful()) shown.push_back(run.get());
    for (const RunRef& run : runs) {
      if (!is_completed(run->state())) shown.push_back(run.get());
    }
    std::sort(shown.begin(), shown.end(), [](const Run* a, const Run* b) { return a->id() < b->id(); });
    if (shown.size() > max_rows) shown.resize(max_rows);
  }
  std::vector<RunRow> rows;
  RunTable table(color);
  for (const Run* run : shown) {
    rows.push_back(RunRow{run->task().name, run->name(), std::string(state_name(run->state())),
                          std::to_string(run->run_count()), format_duration(run->total_run_time_us())});
    table.fit(rows.back());
  }
  if (!rows.empty()) table.print_header(out);
  for (const RunRow& row : rows) table.print(out, row);
  std::map<std::string, std::uint64_t> by_state;
  add_counts(by_state, retired);
  for (const RunRef& run : runs) ++by_state[std::string(state_name(run->state()))];
  print_run_counts(out, total, by_state, all, shown.size(), "see --report for all", color);
}

}  // namespace rh::host
