// Tag concurrency slots: taken after upstreams resolve, before Running; released on the
// terminal state and while a run waits for a retry.
#include "engine/engine.hpp"

namespace rh::host {

void Engine::acquire_slots(Run& run) {
  const std::vector<std::string>& tags = run.task().options.tags;
  if (!limits_.limits_any(tags)) {
    schedule_attempt(run);
    return;
  }
  const TagLimits::Acquisition acquisition = limits_.acquire(&run, tags);
  switch (acquisition.outcome) {
    case TagLimits::Outcome::Granted:
      run.set_holds_slots(true);
      schedule_attempt(run);
      break;
    case TagLimits::Outcome::Queued:
      log_for(run, RH_LOG_DEBUG, "waiting for a concurrency slot");
      break;
    case TagLimits::Outcome::ZeroLimit:
      finish(run, StateId::Cancelled,
             "Tag '" + acquisition.zero_tag + "' has a concurrency limit of 0, so runs with it never start.", false);
      break;
  }
}

void Engine::release_slots(Run& run) {
  if (!run.holds_slots()) return;
  run.set_holds_slots(false);
  schedule_granted(limits_.release(run.task().options.tags));
}

void Engine::schedule_granted(const std::vector<Run*>& granted) {
  for (Run* run : granted) {
    run->set_holds_slots(true);
    schedule_attempt(*run);
  }
}

}  // namespace rh::host
