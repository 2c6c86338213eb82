#include "cli/run_outputs.hpp"

#include "cli/exit_codes.hpp"
#include "cli/logging.hpp"
#include "cli/report.hpp"
#include "cli/state_colors.hpp"

#include <string>

namespace rh::host {

void RunOutputs::bind(RunScope& scope, const TaskDef& target, std::string runner, const JsonlEventSink* events,
                      EventBus& bus) {
  scope_ = &scope;
  target_ = &target;
  runner_ = std::move(runner);
  events_ = events;
  if (config_.report) spool_ = std::make_unique<ReportSpool>(*config_.report);
  if (config_.trace || config_.html) {
    tracks_ = std::make_unique<AttemptTracks>();
    tracks_->start(bus);
  }
  if (config_.trace) trace_ = std::make_unique<TraceFile>(*config_.trace, *tracks_);
  if (config_.html) {
    html_ = std::make_unique<HtmlReport>(*config_.html, *tracks_);
    html_->start(bus);
  }
  if (spool_ || trace_ || html_) {
    scope.set_retire_observer(
        [spool = spool_.get(), tracks = tracks_.get(), trace = trace_.get(), html = html_.get()](const Run& run) {
          if (spool != nullptr) spool->add(run);
          if (trace != nullptr) trace->add(run);
          if (html != nullptr) html->add(run);
          if (tracks != nullptr) tracks->forget(run.id());
        });
  }
}

bool RunOutputs::every_run_completed() const {
  if (const RunRef& flow = scope_->flow_run(); flow && !is_completed(flow->state())) return false;
  const auto hold = scope_->hold_retirement();
  if (!scope_->retired_tally().all_completed()) return false;
  for (const RunRef& run : scope_->runs()) {
    if (!is_completed(run->state())) return false;
  }
  return true;
}

void RunOutputs::print_outcome() const {
  if (!target_->is_flow) {
    const std::vector<RunRef> runs = scope_->runs();
    if (runs.empty()) return;
    const Run& run = *runs.front();
    if (is_completed(run.state())) {
      out_ << (run.result().empty() ? std::string("null") : run.result()) << '\n';
    } else {
      const RunError* error = run.error();
      write_notice(
          err_, config_.log_format,
          "task run '" + run.name() + "' ended " + std::string(state_name(run.state())) + ": " +
              (error != nullptr ? error->type + ": " + error->message : std::string(run.message(run.current()))));
    }
    if (runs.size() > 1) print_summary(out_, *scope_, 50, terminal_colors(STDOUT_FILENO));
    return;
  }
  print_summary(out_, *scope_, 50, terminal_colors(STDOUT_FILENO));
  const Run& flow = *scope_->flow_run();
  out_ << "flow " << target_->name << " (" << flow.name() << ") "
       << colored(state_name(flow.state()), flow.state(), terminal_colors(STDOUT_FILENO));
  if (is_completed(flow.state())) {
    out_ << ": " << (flow.result().empty() ? std::string("null") : flow.result());
  } else if (state_name(flow.state()) == "Cancelled" || flow.error() == nullptr) {
    // A cancelled flow says why it was cancelled, not which of its waits noticed first.
    if (const std::string_view message = flow.message(flow.current()); !message.empty()) out_ << ": " << message;
  } else {
    out_ << ": " << flow.error()->type << ": " << flow.error()->message;
  }
  out_ << '\n';
}

nlohmann::json RunOutputs::store_outcome(int& status) const {
  if (store_ == nullptr) return nullptr;
  store_->flush();  // a forced end may come before the engine's own flush
  const WriteFailures failures = store_->write_failures();
  nlohmann::json lost = nullptr;
  if (failures.records > 0) {
    err_ << "runner-host: " << failures.records << " record(s) were not persisted: " << failures.first_error << '\n';
    lost = {{"records", failures.records}, {"error", failures.first_error}, {"task_runs", failures.task_runs}};
    if (status == kExitOk) status = kExitRunFailed;
  }
  return {{"path", store_->path().string()}, {"not_persisted", std::move(lost)}};
}

int RunOutputs::write(bool interrupted, int status) {
  stop_progress();
  print_outcome();
  out_.flush();
  const nlohmann::json store = store_outcome(status);
  if (config_.report) {
    try {
      write_report_file(*config_.report, *scope_, runner_, interrupted, spool_.get(), store);
    } catch (const std::exception& e) {
      err_ << "runner-host: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  if (trace_) {
    try {
      trace_->write(*scope_, "runner-host: " + std::string(target_->is_flow ? "flow " : "task ") + target_->name +
                                 " on " + runner_);
    } catch (const std::exception& e) {
      err_ << "runner-host: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  if (html_) {
    try {
      html_->write(*scope_);
    } catch (const std::exception& e) {
      err_ << "runner-host: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  if (events_ != nullptr && events_->write_errors() != 0) {
    err_ << "runner-host: " << events_->loss_message() << '\n';
    if (status == kExitOk) status = kExitRunFailed;
  }
  err_.flush();
  return status;
}

}  // namespace rh::host
