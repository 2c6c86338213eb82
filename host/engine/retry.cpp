// After a failed attempt (Phase::Deciding): ask the retry condition, pick the delay (with
// jitter), and either retry at once, wait on a timer holding nothing (AwaitingRetry), or
// end Failed / TimedOut.
#include "base/clock.hpp"
#include "base/format.hpp"
#include "base/random.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "runtime/timer_service.hpp"

#include <runner_host/abi_text.hpp>

namespace rh::host {
namespace {

std::string error_summary(const Run& run) {
  const RunError* error = run.error();
  return error == nullptr ? std::string("unknown error") : error->type + ": " + error->message;
}

std::string interrupted_before_retry() { return "The host was interrupted before the retry started."; }

}  // namespace

bool Engine::retries_remain(const Run& run) const {
  return static_cast<std::int64_t>(run.run_count()) <= run.task().options.retries;
}

Engine::RetryDecision Engine::decide_retry(Run& run, FailureKind kind, bool ask_condition) {
  const TaskDef& task = run.task();
  if (!retries_remain(run)) return {};
  if (task.retry_condition != nullptr) {
    // Without a worker to ask it on, a condition cannot say yes.
    if (!ask_condition) return {};
    // The condition sees the failure as the state the run would end in without a retry.
    rh_run_view view = make_run_view(run);
    view.state_type = RH_STATE_FAILED;
    view.state_name = to_rh_str(kind == FailureKind::Exception ? "Failed" : "TimedOut");
    ErrorCapture error;
    const LogFields fields = log_fields_of(run);
    std::int32_t answer;
    {
      const ScopedLogFields about(fields);  // what the condition logs (RunInfo::log) names the run
      answer = task.retry_condition(task.retry_condition_user_data, &view, &error.sink);
    }
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

bool Engine::after_failure(Run& run, const Where where) {
  const FailureKind kind = run.attempt().failure;
  if (!where.on_worker && run.task().retry_condition != nullptr && retries_remain(run)) {
    // The condition is user code: ask it on a worker, not on the timer thread.
    try {
      hand_to_runner(run, &Engine::resume_entry);
      return false;
    } catch (const RunnerRefused&) {
      // The runner is gone: decide here, without the condition's opinion.
    }
  }
  const RetryDecision decision = decide_retry(run, kind, where.on_worker);
  if (!decision.retry) {
    end_failed(run, kind);
    return true;
  }
  const std::string when = decision.delay_seconds > 0
                               ? "will start in " + format_seconds(decision.delay_seconds) + " second(s)"
                               : "will start immediately";
  log_for(run, RH_LOG_WARN,
          "failed with " + error_summary(run) + " - Retry " + std::to_string(run.run_count()) + "/" +
              std::to_string(run.task().options.retries) + " " + when);
  if (decision.delay_seconds > 0) return await_retry(run, decision.delay_seconds);
  // At once: here on this worker, or through the runner from anywhere else.
  run.set_phase(where.on_worker ? Phase::Attempt : Phase::Queued);
  return true;
}

void Engine::end_failed(Run& run, FailureKind kind) {
  const int retries = run.task().options.retries;
  std::string message;
  StateId final_state = StateId::Failed;
  if (kind == FailureKind::EngineTimeout) {
    final_state = StateId::TimedOut;
    const RunError* error = run.error();
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
  end_run(run, final_state, std::move(message));
}

bool Engine::await_retry(Run& run, double delay_seconds) {
  const std::int64_t due_wall = wall_us() + static_cast<std::int64_t>(delay_seconds * 1e6);
  if (!enter(run, StateId::AwaitingRetry,
             "Retry " + std::to_string(run.run_count()) + "/" + std::to_string(run.task().options.retries) + " in " +
                 format_seconds(delay_seconds) + " second(s)",
             due_wall)) {
    return true;  // ended Crashed: an engine bug
  }
  // A waiting retry holds no tag slot, no worker and no fiber: only this timer.
  release_slots(run);
  run.set_phase(Phase::AwaitingRetry);  // before the timer exists: it may fire at once
  run.retain();                         // held by the timer
  std::uint64_t id;
  {
    // Scheduled and recorded under the run's lock, which interrupt() takes to find it.
    std::lock_guard<SpinLock> lock(run.lock());
    id = timers_.schedule(deadline_in(delay_seconds), &Engine::on_retry_due, &run);
    run.attempt().timer_id = id;
  }
  // interrupt() sets its flag before it looks for waiting retries: either it saw the id
  // stored above, or we see the flag here. Whoever cancels the timer first ends the run.
  if (interrupted() && timers_.cancel(id)) {
    run.release();  // the timer's
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.attempt().timer_id = 0;
    }
    end_run(run, StateId::Cancelled, interrupted_before_retry());
    return true;
  }
  return false;  // from here on the timer (or interrupt()) drives the run
}

void Engine::on_retry_due(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  {
    Engine& engine = run.engine();
    const ContextScope context(engine);
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.attempt().timer_id = 0;
    }
    run.set_phase(Phase::Slots);  // an interrupted host ends it there, Cancelled
    engine.drive(run, Where::elsewhere());
  }
  run.release();
}

}  // namespace rh::host
