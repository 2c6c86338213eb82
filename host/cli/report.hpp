// The JSON report (--report FILE) and the summary table printed after a run.
#pragma once

#include "engine/run.hpp"
#include "engine/run_scope.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace rh::host {

class ReportSpool;

// One run as the report shows it (docs/cli.md#report). The run must be terminal.
nlohmann::json run_to_json(const Run& run);
// The same as an entry of the report's "task_runs", indented as it appears there.
std::string report_entry(const Run& run);

// Writes the report (schema, runner, interrupted, flow or null for a single task run,
// task_runs, summary) to `out`, one run at a time, so a report of a million runs never
// exists in memory as one JSON document. Task runs the scope retired come from `spool`
// (its retire observer) first, then the runs it still holds.
// `store` is the report's "store" member: null without one, else its path and what could
// not be persisted.
void write_report(std::ostream& out, const RunScope& scope, const std::string& runner, bool interrupted,
                  ReportSpool* spool = nullptr, const nlohmann::json& store = nullptr);

// The same into a file, atomically (temporary file + rename). Throws std::runtime_error.
void write_report_file(const std::string& path, const RunScope& scope, const std::string& runner, bool interrupted,
                       ReportSpool* spool = nullptr, const nlohmann::json& store = nullptr);

// The table of task runs: task, run name, final state, attempts, duration. Beyond
// max_rows runs it lists only the runs that did not complete (of the retired ones, those
// the scope kept), then counts by state of every run.
void print_summary(std::ostream& out, const RunScope& scope, std::size_t max_rows = 50, bool color = false);

}  // namespace rh::host
