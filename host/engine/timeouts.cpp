// The per-attempt timeout: armed when an attempt starts (a timer holding a reference to
// the run), disarmed when it returns. If the timer fires first, the attempt is abandoned:
// its waits and sleeps end at once, whatever it still produces is discarded, and the timer
// thread takes the run over to decide on a retry.
#include "engine/timeouts.hpp"
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
    count_takeover(run);
    attempt.stop.store(static_cast<std::uint8_t>(StopReason::TimedOut), std::memory_order_release);
    if (attempt.wait_token != nullptr) runner_.set(attempt.wait_token);
    attempt.wait_token = nullptr;
    attempt.failure = FailureKind::EngineTimeout;
    run.set_error("rh::TimeoutError", timeout_message(run));
    // The abandoned attempt will find itself closed and leave the run alone: it is ours now.
    run.set_phase(Phase::Deciding);
  }
  release_key_lock(run);  // the abandoned attempt held it; the run's next attempt may need it
  drive(run, Where::elsewhere());
}

}  // namespace rh::host
