// One attempt of a run, on a worker: Running or Retrying, on_running hooks, the timeout,
// looking for a result to reuse (caching.cpp), the call into the task library, and what its
// outcome means.
#include "base/clock.hpp"
#include "engine/cache_keys.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "engine/run_scope.hpp"
#include "engine/timeouts.hpp"

#include <optional>

namespace rh::host {

Engine::AttemptEnd Engine::run_attempt(Run& run, std::uint32_t inline_depth) {
  const TaskDef& task = run.task();

  run.lock().lock();
  const StateId state = run.started() ? StateId::Retrying : StateId::Running;
  run.count_attempt();
  // This attempt's number, read now: once its timeout is armed the timer may take the run
  // over and start the next attempt, which counts itself on another thread.
  const std::uint32_t attempt_number = run.run_count();
  run.clear_error();  // the previous attempt's error does not belong to this one
  run.lock().unlock();
  if (!enter(run, state)) return AttemptEnd::Finished;  // ended Crashed: an engine bug
  run_hooks(run, RH_HOOK_ON_RUNNING);

  // Read before the timeout is armed: once it is, the timer may take the run over and the
  // host free the scope while this attempt goes on, and nothing orders a later read of it.
  ResumeSet* const resume = run.is_flow() ? nullptr : run.scope()->resume();
  const bool looks_up = resume != nullptr || task_caches(task);
  // The timeout covers the cache lookup and the call, not the hooks.
  const std::uint32_t generation = arm_attempt(run);

  AttemptContext ctx{&run, generation, inline_depth, {}, {}, {}, false, run.transaction()};
  const std::string& params = run.params();
  const std::string& name = run.name();
  const rh_task_call call{sizeof(rh_task_call),
                          reinterpret_cast<rh_context*>(&ctx),
                          run.id(),
                          run.flow_run_id(),
                          attempt_number,
                          rh_str{task.name.data(), task.name.size()},
                          rh_str{name.data(), name.size()},
                          rh_str{params.data(), params.size()}};
  // Only engine entry points reach here, and they run with no attempt of their own: set the
  // attempt and clear it again (wherever the task resumed after its waits) without a save.
  // A task's cache_key_fn runs under it too (it may log).
  set_current_context(ExecutionContext{this, &ctx});
  if (looks_up) {
    if (const std::optional<AttemptEnd> reused = reuse_result(run, ctx, call, resume)) {
      set_current_context(ExecutionContext{this, nullptr});
      return *reused;
    }
  }
  const std::int32_t code = call_task(run, call);
  set_current_context(ExecutionContext{this, nullptr});

  const AttemptEnd end = outcome_of(run, ctx, code, generation);
  // A failed attempt lets the key go before its retry delay; a finished run let it go with
  // its record (complete), and an abandoned attempt when the timeout took the run over.
  if (end == AttemptEnd::Failed) release_key_lock(run);
  return end;
}

// A task of a library file, on a runner that runs attempts in other processes, goes there
// as a description; flows and a program's own tasks (which exist in this process only) run
// here, as does everything else of the run (hooks, retry conditions, its cache key).
std::int32_t Engine::call_task(const Run& run, const rh_task_call& call) const {
  const TaskDef& task = run.task();
  if (!runner_.runs_attempts_elsewhere() || run.is_flow() || task.file.empty()) {
    return task.fn(task.user_data, &call);
  }
  const rh_remote_attempt attempt{sizeof(rh_remote_attempt), &call, rh_str{task.file.data(), task.file.size()},
                                  run.attempt().deadline.load(std::memory_order_acquire)};
  return runner_.execute_elsewhere(attempt);
}

namespace {

// What the SDK's CancelledError says when the host stopped the attempt.
constexpr std::string_view kSdkCancelledText = "the task run was cancelled";

}  // namespace

// "The task run was cancelled: <why>", saying why once: the host's reason when it stopped
// the attempt, the task's own message when it cancelled itself with something to say.
std::string Engine::cancelled_message(const Run& run, const AttemptContext& ctx, std::int32_t code) const {
  const std::string what = run.is_flow() ? "The flow run was cancelled" : "The task run was cancelled";
  if (interrupted()) return what + ": the host was interrupted.";
  if (code != RH_TASK_CANCELLED || ctx.error_message.empty() || ctx.error_message == kSdkCancelledText) {
    return what + ".";
  }
  return what + ": " + ctx.error_message;
}

// Out of line: its messages and log lines would otherwise take room in the caller's frame,
// which stays on the (small, fiber) stack for as long as the task runs.
__attribute__((noinline)) Engine::AttemptEnd Engine::outcome_of(Run& run, AttemptContext& ctx, std::int32_t code,
                                                                std::uint32_t generation) {
  const Closed closed = close_attempt(run, generation);
  // A task that stopped because of its deadline (its sleep or wait threw) cooperated; one
  // that returned anything else after the deadline had its outcome overtaken.
  const bool stopped_for_deadline = code == RH_TASK_TIMED_OUT || code == RH_TASK_CANCELLED;
  if (closed != Closed::Open && !stopped_for_deadline) {
    const bool timed_out = closed == Closed::PastDeadline || run.attempt().stop.load(std::memory_order_acquire) ==
                                                                 static_cast<std::uint8_t>(StopReason::TimedOut);
    log_for(run, RH_LOG_WARN,
            std::string(timed_out ? "an attempt returned after its timeout; its outcome is discarded"
                                  : "an attempt returned after the host abandoned it; its outcome is discarded") +
                (ctx.has_error ? " (" + ctx.error_type + ": " + ctx.error_message + ")" : std::string()));
  }
  if (closed == Closed::Abandoned) return AttemptEnd::Abandoned;
  // After an interrupt a flow ends Cancelled, whatever its code made of its cancelled runs
  // (returned anyway, or failed on one that never started): the same on every runner.
  if (run.is_flow() && interrupted()) {
    end_run(run, StateId::Cancelled, cancelled_message(run, ctx, code));
    return AttemptEnd::Finished;
  }
  if (closed == Closed::PastDeadline) {
    fail_past_deadline(run);
    return AttemptEnd::Failed;
  }

  if (code == RH_TASK_COMPLETED && !ctx.has_error) {
    // In a transaction the result is cached once it commits (stage_in_transaction).
    if (run.cache_note() != nullptr && run.transaction() == nullptr) remember_result(run, ctx.result);
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.set_result(std::move(ctx.result));
    }
    end_run(run, StateId::Completed, {});
    return AttemptEnd::Finished;
  }

  if (!ctx.has_error) {
    ctx.error_type = "rh::ProtocolError";
    ctx.error_message = code == RH_TASK_COMPLETED ? "the task reported both a result and an error"
                                                  : "the task failed without reporting an error";
  }
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_error(ctx.error_type, ctx.error_message);
  }
  switch (code) {
    case RH_TASK_FAILED:
    case RH_TASK_COMPLETED: run.attempt().failure = FailureKind::Exception; return AttemptEnd::Failed;
    case RH_TASK_TIMED_OUT: run.attempt().failure = FailureKind::UserTimeout; return AttemptEnd::Failed;
    case RH_TASK_CANCELLED:
      end_run(run, StateId::Cancelled, cancelled_message(run, ctx, code));
      return AttemptEnd::Finished;
    case RH_TASK_WORKER_LOST: end_run(run, StateId::Crashed, ctx.error_message); return AttemptEnd::Finished;
    case RH_TASK_CRASHED:
      end_run(run, StateId::Crashed,
              "Execution was interrupted by an unexpected exception: " + ctx.error_type + ": " + ctx.error_message);
      return AttemptEnd::Finished;
    default:
      end_run(run, StateId::Crashed, "The task returned an unknown status " + std::to_string(code) + ".");
      return AttemptEnd::Finished;
  }
}

}  // namespace rh::host
