// After a failed attempt: ask the retry condition, pick the delay (with jitter), and either
// retry at once, wait on a timer holding nothing (AwaitingRetry), or end Failed/TimedOut.
#include "engine/clock.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"
#include "engine/random.hpp"
#include "engine/timer_service.hpp"

#include <spdlog/spdlog.h>

namespace rh::host {
namespace {

struct ErrorText {
  rh_error_sink sink{sizeof(rh_error_sink), this, &ErrorText::set};
  std::string type;
  std::string message;
  static void set(rh_error_sink* s, rh_str t, rh_str m) {
    auto* self = static_cast<ErrorText*>(s->host_data);
    self->type.assign(t.data == nullptr ? "" : std::string(t.data, t.size));
    self->message.assign(m.data == nullptr ? "" : std::string(m.data, m.size));
  }
};

std::string error_summary(const Run& run) {
  const RunError* error = run.error();
  return error == nullptr ? std::string("unknown error") : error->type + ": " + error->message;
}

}  // namespace

bool Engine::retries_remain(const Run& run) const {
  return static_cast<std::int64_t>(run.run_count()) <= run.task().options.retries;
}

Engine::RetryDecision Engine::decide_retry(Run& run, FailureKind kind) {
  const TaskDef& task = run.task();
  if (!retries_remain(run)) return {};
  if (task.retry_condition != nullptr) {
    // The condition sees the failure as the state the run would end in without a retry.
    rh_run_view view = make_run_view(run);
    const bool timed_out = kind != FailureKind::Exception;
    view.state_type = RH_STATE_FAILED;
    const std::string_view name = timed_out ? "TimedOut" : "Failed";
    view.state_name = rh_str{name.data(), name.size()};
    ErrorText error;
    const std::int32_t answer = task.retry_condition(task.retry_condition_user_data, &view, &error.sink);
    if (answer < 0) {
      log_for(run, RH_LOG_ERROR,
              "retry condition raised " + error.type + ": " + error.message + "; the run is not retried");
      return {};
    }
    if (answer == 0) {
      log_for(run, RH_LOG_INFO, "retry condition declined a retry");
      return {};
    }
  }
  const TaskOptions& options = task.options;
  double delay = options.delay_before_retry(run.run_count() - 1);
  if (delay > 0 && options.retry_jitter_factor > 0) delay += delay * options.retry_jitter_factor * random_unit();
  return {true, delay};
}

bool Engine::after_failure(Run& run, FailureKind kind, bool on_worker) {
  if (!on_worker && run.task().retry_condition != nullptr && retries_remain(run)) {
    // The condition is user code: ask it from a runner continuation, not the timer thread.
    run.retain();
    try {
      scheduler_.submit(&Engine::continue_after_timeout, &run);
      return false;
    } catch (const RunnerRefused&) {
      run.release();  // the runner is gone: decide here, without the condition's opinion
    }
  }
  const RetryDecision decision =
      (!on_worker && run.task().retry_condition != nullptr) ? RetryDecision{} : decide_retry(run, kind);
  const int retries = run.task().options.retries;
  if (decision.retry) {
    const std::string when = decision.delay_seconds > 0
                                 ? "will start in " + format_seconds(decision.delay_seconds) + " second(s)"
                                 : "will start immediately";
    log_for(run, RH_LOG_WARN,
            "failed with " + error_summary(run) + " - Retry " + std::to_string(run.run_count()) + "/" +
                std::to_string(retries) + " " + when);
    if (decision.delay_seconds > 0) {
      await_retry(run, decision.delay_seconds);
      return false;
    }
    if (on_worker) return true;
    schedule_attempt(run);
    return false;
  }

  const RunError* error = run.error();
  std::string message;
  StateId final_state = StateId::Failed;
  if (kind == FailureKind::EngineTimeout) {
    final_state = StateId::TimedOut;
    message = error != nullptr ? error->message : "Task run exceeded its timeout";
  } else if (kind == FailureKind::UserTimeout) {
    final_state = StateId::TimedOut;
    message = "Task run failed due to timeout: " + error_summary(run);
  } else {
    message = "Task run encountered an exception " + error_summary(run);
  }
  std::string why;
  if (retries > 0) why = retries_remain(run) ? " - not retried" : " - Retries are exhausted";
  log_for(run, RH_LOG_ERROR, "failed with " + error_summary(run) + why);
  finish(run, final_state, std::move(message), on_worker);
  return false;
}

void Engine::await_retry(Run& run, double delay_seconds) {
  const std::int64_t due_wall = wall_us() + static_cast<std::int64_t>(delay_seconds * 1e6);
  transition(run, StateId::AwaitingRetry,
             "Retry " + std::to_string(run.run_count()) + "/" + std::to_string(run.task().options.retries) + " in " +
                 format_seconds(delay_seconds) + " second(s)",
             due_wall);
  // A waiting retry holds no tag slot, no worker and no fiber: only this timer.
  release_slots(run);
  run.retain();  // held by the timer
  const std::uint64_t id = TimerService::instance().schedule(deadline_in(delay_seconds), &Engine::on_retry_due, &run);
  {
    std::lock_guard<SpinLock> lock(run.lock());
    if (run.state() == StateId::AwaitingRetry) run.attempt().timer_id = id;
  }
  // interrupt() sets its flag before it looks for waiting retries: either it saw the id
  // stored above, or we see the flag here. Whoever cancels the timer first ends the run.
  if (interrupted() && TimerService::instance().cancel(id)) {
    finish(run, StateId::Cancelled, "The host was interrupted before the retry started.", false);
    run.release();
  }
}

void Engine::continue_after_timeout(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  Engine& engine = run.engine();
  {
    const AttemptScope scope;
    if (engine.after_failure(run, FailureKind::EngineTimeout, true)) engine.run_attempts(run, 0);
  }
  run.release();
}

}  // namespace rh::host
