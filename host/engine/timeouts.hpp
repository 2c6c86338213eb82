// Opening and closing an attempt's window, with its timeout timer: inline, because every
// attempt passes through both (attempt.cpp); what happens when the timer fires is in
// timeouts.cpp.
#pragma once

#include "base/clock.hpp"
#include "engine/engine.hpp"
#include "runtime/timer_service.hpp"

namespace rh::host {

inline std::uint32_t Engine::arm_attempt(Run& run) {
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
inline Engine::Closed Engine::close_attempt(Run& run, std::uint32_t generation) {
  std::uint64_t timer_id = 0;
  bool late = false;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    AttemptState& attempt = run.attempt();
    if (!attempt.active || attempt.generation.load(std::memory_order_relaxed) != generation) {
      attempt_returned_after_takeover(run);
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

}  // namespace rh::host
