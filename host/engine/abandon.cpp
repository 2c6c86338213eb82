// Taking runs over from code that does not stop. A timeout does it for one attempt
// (timeouts.cpp); here the host does it for everything still going, when it has to end
// regardless: the interrupt's grace period is over, a second interrupt came, or a task
// called exit(). The rule is the timeout's: an executing attempt is closed under the run's
// lock, so when its user code returns it finds itself abandoned and leaves the run alone.
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "runtime/timer_service.hpp"

namespace rh::host {

void Engine::count_takeover(Run& run) {
  run.attempt().abandoned_executing.fetch_add(1, std::memory_order_relaxed);
  abandoned_executing_.fetch_add(1, std::memory_order_acq_rel);
}

void Engine::attempt_returned_after_takeover(Run& run) {
  // Only attempts that were taken over are counted; a stale generation of a retried run
  // whose takeover was counted lands here too, exactly once.
  std::atomic<std::uint16_t>& mine = run.attempt().abandoned_executing;
  std::uint16_t count = mine.load(std::memory_order_relaxed);
  while (count > 0 && !mine.compare_exchange_weak(count, count - 1, std::memory_order_relaxed)) {
  }
  if (count > 0) abandoned_executing_.fetch_sub(1, std::memory_order_acq_rel);
}

bool Engine::abandon_run(Run& run, StateId state, const std::string& message) {
  if (run.done()) return false;
  // A queued run nobody claimed yet: claiming it makes it ours; the runner's work item
  // then finds nothing to do.
  const bool claimed = run.claim_queued();
  bool retry_timer_held = false;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    if (run.done()) return false;
    AttemptState& attempt = run.attempt();
    switch (run.phase()) {
      case Phase::Attempt:
        if (attempt.active) {
          attempt.active = false;
          count_takeover(run);
          attempt.stop.store(static_cast<std::uint8_t>(StopReason::Cancelled), std::memory_order_release);
          if (attempt.wait_token != nullptr) runner_.set(attempt.wait_token);
          attempt.wait_token = nullptr;
          // The timeout timer holds a reference; once cancelled it never fires.
          if (attempt.timer_id != 0 && timers_.cancel(attempt.timer_id)) retry_timer_held = true;
          attempt.timer_id = 0;
        } else if (!claimed) {
          return false;  // a worker is between claiming it and starting the attempt
        }
        break;
      case Phase::AwaitingRetry:
        // The retry timer drives it unless cancelled first; a timer already firing wins.
        if (attempt.timer_id == 0 || !timers_.cancel(attempt.timer_id)) return false;
        attempt.timer_id = 0;
        retry_timer_held = true;
        break;
      default:
        // Created, Inputs, Slots: whoever created it or its last upstream drives it, and an
        // interrupted engine ends it at its next step. Deciding, Finishing: a worker or a
        // timer is in the middle of a step that ends soon.
        return false;
    }
    run.record(state, message);
    run.set_phase(Phase::Finishing);
  }
  if (retry_timer_held) run.release();
  const ContextScope context(*this);
  drive(run, Where::elsewhere());
  return true;
}

std::size_t Engine::abandon_unfinished(StateId state, const std::string& message) {
  std::vector<RunRef> runs;
  {
    std::lock_guard<std::mutex> lock(scopes_mutex_);
    for (RunScope* scope : scopes_) {
      std::vector<RunRef> scope_runs = scope->runs();
      runs.insert(runs.end(), scope_runs.begin(), scope_runs.end());
      // The flow run last: its attempt is waiting for the others.
      if (scope->flow_run()) runs.push_back(scope->flow_run());
    }
  }
  std::size_t ended = 0;
  for (const RunRef& run : runs) ended += abandon_run(*run, state, message) ? 1 : 0;
  return ended;
}

}  // namespace rh::host
