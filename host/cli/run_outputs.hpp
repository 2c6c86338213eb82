// What a run leaves behind, written exactly once: the outcome on stdout (the table, the
// flow's final state), the report file, and a word on event lines that were lost. The
// normal end of a run writes it from the main thread; a forced end (a second interrupt, a
// task calling exit()) from wherever that happens, just before the process ends. Whoever
// claims it first writes it; the other finds it taken.
#pragma once

#include "cli/attempt_tracks.hpp"
#include "cli/html_report.hpp"
#include "cli/progress_line.hpp"
#include "cli/report_spool.hpp"
#include "cli/run_config.hpp"
#include "cli/trace_file.hpp"
#include "engine/run_scope.hpp"
#include "engine/task_registry.hpp"
#include "events/jsonl_sink.hpp"
#include "store/store.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <ostream>
#include <string>

namespace rh::host {

class RunOutputs {
 public:
  RunOutputs(const RunConfig& config, std::ostream& out, std::ostream& err) : config_(config), out_(out), err_(err) {}

  // Before the run starts (all of it must outlive the run). With a report, a trace or an HTML
  // report, the runs the scope retires go to a spool for each; the trace and the HTML report
  // learn from `bus` where attempts ran. Throws OutputFileError when a spool cannot be made
  // or a path is refused.
  void bind(RunScope& scope, const TaskDef& target, std::string runner, const JsonlEventSink* events, EventBus& bus);

  // The store the runs are recorded in (none: nothing to say about it).
  void set_store(Store* store) noexcept { store_ = store; }
  // The progress line on stderr, if shown: erased before anything else is written there.
  void set_progress(ProgressLine* progress) noexcept { progress_ = progress; }
  void stop_progress() {
    if (progress_ != nullptr) progress_->stop();
  }

  // Whether every run of the scope completed.
  bool every_run_completed() const;

  // Claims the outputs: false when someone else already did (and is about to end the process).
  bool claim() noexcept { return !claimed_.exchange(true, std::memory_order_acq_rel); }
  bool claimed() const noexcept { return claimed_.load(std::memory_order_acquire); }

  // Writes them (after claim()) and returns the exit status: `status`, or 2 when the report
  // could not be written, or 1 instead of 0 when event lines or store records were lost.
  int write(bool interrupted, int status);

 private:
  void print_outcome() const;
  // The report's "store" member; says on stderr what was not persisted.
  nlohmann::json store_outcome(int& status) const;

  const RunConfig& config_;
  std::ostream& out_;
  std::ostream& err_;
  const RunScope* scope_ = nullptr;
  const TaskDef* target_ = nullptr;
  std::string runner_;
  const JsonlEventSink* events_ = nullptr;
  Store* store_ = nullptr;
  ProgressLine* progress_ = nullptr;
  std::unique_ptr<ReportSpool> spool_;
  std::unique_ptr<AttemptTracks> tracks_;  // with a trace or an HTML report: before them
  std::unique_ptr<TraceFile> trace_;
  std::unique_ptr<HtmlReport> html_;
  std::atomic<bool> claimed_{false};
};

}  // namespace rh::host
