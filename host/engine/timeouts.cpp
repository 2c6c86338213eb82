// The per-attempt timeout: armed when an attempt starts (a timer holding a reference to
// the run), disarmed when it returns. If the timer fires first, the attempt is abandoned:
// its waits and sleeps end at once, whatever it still produces is discarded, and the timer
// thread takes the run over to decide on a retry.
#include "base/clock.hpp"
#include "base/format.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "runtime/timer_service.hpp"

namespace rh::host {
namespace {

std::string timeout_message(const Run& run) {
  return "Task run exceeded timeout of " + format_seconds(run.task().options.timeout_seconds) + " second(s)";
}

}  // namespace

std::uint32_t Engine::arm_attempt(Run& run) {
  const double timeout = run.task().options.timeout_seconds;
  std::lock_guard<SpinLock> lock(run.lock());
  AttemptState& attempt = run.attempt();
  const std::uint32_t generation = attempt.generation.fetch_add(1, std::memory_order_relaxed) + 1;
  attempt.stop.store(0, std::memory_order_relaxed);
  attempt.active = true;
  attempt.wait_token = nullptr;
  const std::int64_t deadline = timeout > 0 ? deadline_in(timeout) : RH_DEADLINE_NONE;
  attempt.deadline.store(deadline, std::memory_order_release);
  attempt.timer_id = 0;
  if (timeout > 0) {
    run.retain();  // held by the timer until it fires or is cancelled
    attempt.timer_id = timers_.schedule(deadline, &Engine::on_attempt_timeout, &run);
  }
  return generation;
}

// Ends the attempt's active phase. Abandoned: the timeout already took over (the caller
// discards whatever the task produced). PastDeadline: the task returned after its deadline
// but before the timer fired, e.g. CPU-bound code that stopped on ctx.cancelled(); it is a
// timeout all the same.
Engine::Closed Engine::close_attempt(Run& run, std::uint32_t generation) {
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
  if (timer_id != 0 && timers_.cancel(timer_id)) run.release();
  return late ? Closed::PastDeadline : Closed::Open;
}

void Engine::fail_past_deadline(Run& run) {
  std::lock_guard<SpinLock> lock(run.lock());
  run.attempt().failure = FailureKind::EngineTimeout;
  run.set_error("rh::TimeoutError", timeout_message(run));
}

void Engine::on_attempt_timeout(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  {
    Engine& engine = run.engine();
    const ContextScope context(engine);
    engine.attempt_timed_out(run);
  }
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
    if (attempt.wait_token != nullptr) runner_.set(attempt.wait_token);
    attempt.wait_token = nullptr;
    attempt.failure = FailureKind::EngineTimeout;
    run.set_error("rh::TimeoutError", timeout_message(run));
    // The abandoned attempt will find itself closed and leave the run alone: it is ours now.
    run.set_phase(Phase::Deciding);
  }
  drive(run, Where::elsewhere());
}

}  // namespace rh::host
