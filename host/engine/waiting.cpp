// Blocking through the runner: waiting for runs, sleeping, and noticing that the calling
// attempt must stop (cancelled, or past its deadline) while blocked.
#include "engine/clock.hpp"
#include "engine/engine.hpp"

#include <algorithm>

namespace rh::host {

std::int32_t Engine::attempt_status(const AttemptContext& ctx) const {
  const AttemptState& attempt = ctx.run->attempt();
  // A later generation means this attempt was abandoned at its deadline.
  if (attempt.generation.load(std::memory_order_acquire) != ctx.generation) return RH_TIMED_OUT_ATTEMPT;
  switch (static_cast<StopReason>(attempt.stop.load(std::memory_order_acquire))) {
    case StopReason::Cancelled: return RH_CANCELLED;
    case StopReason::TimedOut: return RH_TIMED_OUT_ATTEMPT;
    case StopReason::None: break;
  }
  const std::int64_t deadline = attempt.deadline.load(std::memory_order_acquire);
  return deadline != RH_DEADLINE_NONE && monotonic_ns() >= deadline ? RH_TIMED_OUT_ATTEMPT : RH_OK;
}

std::int32_t Engine::block_on(rh_event* token, std::int64_t deadline, std::uint32_t flags) {
  AttemptContext* const ctx = current_attempt();
  if (ctx == nullptr) return scheduler_.wait(token, deadline, flags) ? RH_OK : RH_TIMEOUT;

  Run& run = *ctx->run;
  std::int64_t effective = deadline;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    AttemptState& attempt = run.attempt();
    if (attempt.active && attempt.generation.load(std::memory_order_relaxed) == ctx->generation) {
      attempt.wait_token = token;  // stop_attempt() and the timeout set it to wake us
      effective = std::min(deadline, attempt.deadline.load(std::memory_order_relaxed));
    }
  }
  // Checked after registering, so a stop that happened just before is not missed.
  std::int32_t status = attempt_status(*ctx);
  const bool set = status == RH_OK && scheduler_.wait(token, effective, flags);
  {
    std::lock_guard<SpinLock> lock(run.lock());
    if (run.attempt().wait_token == token) run.attempt().wait_token = nullptr;
  }
  status = attempt_status(*ctx);
  if (status != RH_OK) return status;
  return set ? RH_OK : RH_TIMEOUT;
}

std::int32_t Engine::wait_run(Run& target, std::int64_t deadline, std::string* error) {
  if (AttemptContext* ctx = current_attempt(); ctx != nullptr && ctx->run == &target) {
    if (error != nullptr) {
      *error = "task run '" + target.name() + "' (id " + std::to_string(target.id()) +
               ") waits for itself; refusing to deadlock";
    }
    return RH_ERROR;
  }
  if (AttemptContext* ctx = current_attempt(); ctx != nullptr && !target.done()) {
    run_in_place(target, *ctx, deadline);
  }
  while (!target.done()) {
    if (deadline != RH_DEADLINE_NONE && monotonic_ns() >= deadline) return RH_TIMEOUT;
    rh_event* token = scheduler_.make_token();
    {
      std::lock_guard<SpinLock> lock(target.lock());
      if (target.done()) {
        scheduler_.destroy(token);
        return RH_OK;
      }
      target.add_waiter(token);
    }
    const std::int32_t status = block_on(token, deadline);
    {
      std::lock_guard<SpinLock> lock(target.lock());
      target.remove_waiter(token);
    }
    scheduler_.destroy(token);
    if (target.done()) return RH_OK;
    if (status != RH_OK) return status;
  }
  return RH_OK;
}

std::int32_t Engine::sleep(AttemptContext& ctx, std::int64_t duration_ns) {
  AttemptContext* const saved = current_attempt();
  set_current_attempt(&ctx);  // the sleeper is this attempt, whichever thread calls
  const std::int64_t now = monotonic_ns();
  const std::int64_t deadline = duration_ns >= RH_DEADLINE_NONE - now ? RH_DEADLINE_NONE : now + duration_ns;
  rh_event* token = scheduler_.make_token();
  std::int32_t status = block_on(token, deadline, RH_WAIT_SLEEP);
  scheduler_.destroy(token);
  set_current_attempt(saved);
  // Nobody but a stop sets a sleep's token, so "timeout" means the full time passed.
  return status == RH_TIMEOUT ? RH_OK : status;
}

}  // namespace rh::host
