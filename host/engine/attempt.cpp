// Executing attempts: Running/Retrying, on_running hooks, the per-attempt timeout, the
// cache lookup, the call into the task library, and classifying its outcome.
#include "engine/clock.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"
#include "engine/timer_service.hpp"

#include <spdlog/spdlog.h>

namespace rh::host {
namespace {

enum class Closed { Open, Abandoned, PastDeadline };

// Ends the attempt's active phase. Abandoned: the timeout already took over (the caller
// discards whatever the task produced). PastDeadline: the task returned after its deadline
// but before the timer fired, e.g. CPU-bound code that stopped on ctx.cancelled(); it is a
// timeout all the same.
Closed close_attempt(Run& run, std::uint32_t generation) {
  std::uint64_t timer_id = 0;
  bool late = false;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    AttemptState& attempt = run.attempt();
    if (!attempt.active || attempt.generation.load(std::memory_order_relaxed) != generation) {
      return Closed::Abandoned;
    }
    attempt.active = false;
    attempt.wait_token = nullptr;
    timer_id = attempt.timer_id;
    attempt.timer_id = 0;
    const std::int64_t deadline = attempt.deadline.load(std::memory_order_relaxed);
    late = deadline != RH_DEADLINE_NONE && monotonic_ns() >= deadline;
  }
  // A cancelled timer never runs, so its reference to the run is dropped here; a timer
  // that is firing right now finds the attempt closed and drops its own reference.
  if (timer_id != 0 && TimerService::instance().cancel(timer_id)) run.release();
  return late ? Closed::PastDeadline : Closed::Open;
}

}  // namespace

void Engine::schedule_attempt(Run& run) {
  // The work item holds a reference: an attempt abandoned at its deadline may still be
  // executing after the run ended and its scope was released.
  run.retain();
  run.mark_queued();
  try {
    scheduler_.submit(&Engine::attempt_entry, &run);
  } catch (const RunnerRefused& e) {
    run.claim_queued();
    run.release();
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.set_error("rh::RunnerError", e.what());
    }
    finish(run, StateId::Crashed, e.what(), false);
  }
}

void Engine::attempt_entry(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  // Nothing to do when a waiter already ran this attempt in place (Engine::run_in_place).
  if (run.claim_queued()) {
    const AttemptScope scope;
    run.engine().run_attempts(run, 0);
  }
  run.release();
}

bool Engine::run_in_place(Run& target, const AttemptContext& waiter, std::int64_t deadline) {
  // Only an untimed wait by an attempt without a deadline: a run executing on the waiter's
  // stack holds the waiter until it ends, so the waiter could not stop at a deadline.
  if (waiter.inline_depth >= scheduler_.inline_depth() || deadline != RH_DEADLINE_NONE) return false;
  if (waiter.run->attempt().deadline.load(std::memory_order_acquire) != RH_DEADLINE_NONE) return false;
  if (attempt_status(waiter) != RH_OK || !target.claim_queued()) return false;
  const AttemptScope scope;
  run_attempts(target, waiter.inline_depth + 1);
  return true;
}

void Engine::run_attempts(Run& run, std::uint32_t inline_depth) {
  for (;;) {
    if (interrupted()) {
      if (!run.started()) {
        cancel_never_started(run);
      } else {
        finish(run, StateId::Cancelled, "The host was interrupted before the retry started.");
      }
      return;
    }
    if (run_one_attempt(run, inline_depth) != AttemptEnd::Retry) return;
  }
}

Engine::AttemptEnd Engine::run_one_attempt(Run& run, std::uint32_t inline_depth) {
  const TaskDef& task = run.task();
  const TaskOptions& options = task.options;

  run.lock().lock();
  const StateId state = run.started() ? StateId::Retrying : StateId::Running;
  run.count_attempt();
  run.clear_error();  // the previous attempt's error does not belong to this one
  run.lock().unlock();
  transition(run, state);
  run_hooks(run, RH_HOOK_ON_RUNNING);

  // The timeout covers the cache lookup and the call, not the hooks.
  std::uint32_t generation;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    AttemptState& attempt = run.attempt();
    generation = attempt.generation.fetch_add(1, std::memory_order_relaxed) + 1;
    attempt.stop.store(0, std::memory_order_relaxed);
    attempt.active = true;
    attempt.wait_token = nullptr;
    const std::int64_t deadline = options.timeout_seconds > 0 ? deadline_in(options.timeout_seconds) : RH_DEADLINE_NONE;
    attempt.deadline.store(deadline, std::memory_order_release);
    attempt.timer_id = 0;
    if (options.timeout_seconds > 0) {
      run.retain();  // held by the timer until it fires or is cancelled
      attempt.timer_id = TimerService::instance().schedule(deadline, &Engine::on_attempt_timeout, &run);
    }
  }

  std::string cache_key;
  if (options.cache.by_inputs) {
    cache_key = ResultCache::key(task.name, run.params());
    if (auto hit = cache_.lookup(cache_key, monotonic_ns())) {
      if (close_attempt(run, generation) == Closed::Abandoned) return AttemptEnd::Handled;
      {
        std::lock_guard<SpinLock> lock(run.lock());
        run.set_result(std::move(*hit));
      }
      finish(run, StateId::Cached, "Result read from the cache.");
      return AttemptEnd::Finished;
    }
  }

  AttemptContext ctx{&run, generation, inline_depth, {}, {}, {}, false};
  const std::string& params = run.params();
  const std::string& name = run.name();
  const rh_task_call call{sizeof(rh_task_call),
                          reinterpret_cast<rh_context*>(&ctx),
                          run.id(),
                          run.flow_run_id(),
                          run.run_count(),
                          rh_str{task.name.data(), task.name.size()},
                          rh_str{name.data(), name.size()},
                          rh_str{params.data(), params.size()}};
  set_current_attempt(&ctx);
  const std::int32_t code = task.fn(task.user_data, &call);
  set_current_attempt(nullptr);

  const Closed closed = close_attempt(run, generation);
  // A task that stopped because of its deadline (its sleep or wait threw) cooperated; one
  // that returned anything else after the deadline had its outcome overtaken.
  const bool stopped_for_deadline = code == RH_TASK_TIMED_OUT || code == RH_TASK_CANCELLED;
  if (closed != Closed::Open && !stopped_for_deadline) {
    log_for(run, RH_LOG_WARN,
            std::string("an attempt returned after its timeout; its outcome is discarded") +
                (ctx.has_error ? " (" + ctx.error_type + ": " + ctx.error_message + ")" : std::string()));
  }
  if (closed != Closed::Open) {
    if (closed == Closed::Abandoned) return AttemptEnd::Handled;
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.set_error("rh::TimeoutError",
                    "Task run exceeded timeout of " + format_seconds(options.timeout_seconds) + " second(s)");
    }
    return after_failure(run, FailureKind::EngineTimeout, true) ? AttemptEnd::Retry : AttemptEnd::Handled;
  }

  if (code == RH_TASK_COMPLETED && !ctx.has_error) {
    if (!cache_key.empty()) {
      const double expiration = options.cache.expiration_seconds;
      cache_.store(cache_key, ctx.result, expiration > 0 ? deadline_in(expiration) : 0);
    }
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.set_result(std::move(ctx.result));
    }
    finish(run, StateId::Completed, {});
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
    case RH_TASK_COMPLETED:
      return after_failure(run, FailureKind::Exception, true) ? AttemptEnd::Retry : AttemptEnd::Handled;
    case RH_TASK_TIMED_OUT:
      return after_failure(run, FailureKind::UserTimeout, true) ? AttemptEnd::Retry : AttemptEnd::Handled;
    case RH_TASK_CANCELLED:
      finish(run, StateId::Cancelled, "The task run was cancelled: " + ctx.error_message);
      return AttemptEnd::Finished;
    case RH_TASK_CRASHED:
      finish(run, StateId::Crashed,
             "Execution was interrupted by an unexpected exception: " + ctx.error_type + ": " + ctx.error_message);
      return AttemptEnd::Finished;
    default:
      finish(run, StateId::Crashed, "The task returned an unknown status " + std::to_string(code) + ".");
      return AttemptEnd::Finished;
  }
}

void Engine::on_attempt_timeout(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  run.engine().attempt_timed_out(run);
  run.release();
}

void Engine::attempt_timed_out(Run& run) {
  {
    std::lock_guard<SpinLock> lock(run.lock());
    AttemptState& attempt = run.attempt();
    // A timer whose cancellation lost the race finds its attempt closed (or a later attempt
    // with a later deadline) and does nothing.
    if (!attempt.active || monotonic_ns() < attempt.deadline.load(std::memory_order_acquire)) return;
    attempt.active = false;
    attempt.timer_id = 0;
    attempt.stop.store(static_cast<std::uint8_t>(StopReason::TimedOut), std::memory_order_release);
    if (attempt.wait_token != nullptr) scheduler_.set(attempt.wait_token);
    attempt.wait_token = nullptr;
    run.set_error("rh::TimeoutError",
                  "Task run exceeded timeout of " + format_seconds(run.task().options.timeout_seconds) + " second(s)");
  }
  after_failure(run, FailureKind::EngineTimeout, false);
}

void Engine::on_retry_due(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.attempt().timer_id = 0;
  }
  Engine& engine = run.engine();
  if (engine.interrupted()) {
    engine.finish(run, StateId::Cancelled, "The host was interrupted before the retry started.", false);
  } else {
    engine.acquire_slots(run);
  }
  run.release();
}

}  // namespace rh::host
