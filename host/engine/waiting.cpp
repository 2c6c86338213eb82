// Blocking task code through the runner: waiting for runs, sleeping, yielding, and noticing
// that the calling attempt must stop (cancelled, or past its deadline) while blocked. A wait
// for a queued run may run that run right here instead (run_in_place).
#include "base/clock.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"

#include <algorithm>
#include <optional>

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

std::int32_t Engine::block_attempt(AttemptContext& ctx, rh_event* token, std::int64_t deadline, std::uint32_t flags) {
  Run& run = *ctx.run;
  std::int64_t effective = deadline;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    AttemptState& attempt = run.attempt();
    if (attempt.active && attempt.generation.load(std::memory_order_relaxed) == ctx.generation) {
      attempt.wait_token = token;  // stop_attempt() and the timeout set it to wake us
      effective = std::min(deadline, attempt.deadline.load(std::memory_order_relaxed));
    }
  }
  // Checked after registering, so a stop that happened just before is not missed.
  std::int32_t status = attempt_status(ctx);
  const bool set = status == RH_OK && runner_.wait(token, effective, flags);
  {
    std::lock_guard<SpinLock> lock(run.lock());
    if (run.attempt().wait_token == token) run.attempt().wait_token = nullptr;
  }
  status = attempt_status(ctx);
  if (status != RH_OK) return status;
  return set ? RH_OK : RH_TIMEOUT;
}

std::int32_t Engine::wait_run(Run& target, std::int64_t deadline, std::string* error) {
  if (target.done()) return RH_OK;
  if (AttemptContext* ctx = current_context().attempt; ctx != nullptr) {
    if (ctx->run == &target) {
      if (error != nullptr) {
        *error = "task run '" + target.name() + "' (id " + std::to_string(target.id()) +
                 ") waits for itself; refusing to deadlock";
      }
      return RH_ERROR;
    }
    if (run_in_place(target, *ctx, deadline) && target.done()) return RH_OK;
  }
  return wait_until(
      context_blocker(), target.lock(), target.waiters(),
      [&target]() -> std::optional<std::int32_t> {
        if (target.done()) return RH_OK;
        return std::nullopt;
      },
      deadline, 0, FirstLook::AlreadyDone);  // done() was just read, above
}

bool Engine::run_in_place(Run& target, const AttemptContext& waiter, std::int64_t deadline) {
  // Only an untimed wait by an attempt without a deadline: a run executing on the waiter's
  // stack holds the waiter until it ends, so the waiter could not stop at a deadline.
  if (waiter.inline_depth >= runner_.inline_depth() || deadline != RH_DEADLINE_NONE) return false;
  if (waiter.run->attempt().deadline.load(std::memory_order_acquire) != RH_DEADLINE_NONE) return false;
  // Nor a run with a timeout of its own: if it ignores its deadline, the engine abandons it,
  // but the waiter beneath it on the same stack could not go on until it returned.
  if (target.task().options.timeout_seconds > 0) return false;
  if (attempt_status(waiter) != RH_OK || !target.claim_queued()) return false;
  const ContextScope context(*this);  // the nested run is not the waiter's attempt
  drive(target, Where::worker(waiter.inline_depth + 1));
  return true;
}

std::int32_t Engine::sleep(AttemptContext& ctx, std::int64_t duration_ns) {
  // The sleeper is this attempt, whichever thread calls.
  const ContextScope context(*this, &ctx);
  const std::int64_t now = monotonic_ns();
  const std::int64_t deadline = duration_ns >= RH_DEADLINE_NONE - now ? RH_DEADLINE_NONE : now + duration_ns;
  rh_event* token = runner_.make_token();
  const std::int32_t status = context_blocker().block(token, deadline, RH_WAIT_SLEEP);
  runner_.destroy(token);
  // Nobody but a stop sets a sleep's token, so "timeout" means the full time passed.
  return status == RH_TIMEOUT ? RH_OK : status;
}

void Engine::yield() {
  const ExecutionContext saved = current_context();
  runner_.yield();
  set_current_context(saved);  // resumed, perhaps on another thread
}

}  // namespace rh::host
