// Tag concurrency slots: taken after the inputs are ready, before Running; released on the
// terminal state and while a run waits for a retry. A run that finds a tag full waits in
// the tag's queue holding nothing; a release hands the slots on and drives it on.
#include "engine/engine.hpp"

#include "base/clock.hpp"
#include "engine/execution_context.hpp"

namespace rh::host {

bool Engine::take_slots(Run& run) {
  const std::vector<std::string>& tags = run.task().options.tags;
  // The wait is noted as the run is queued, under the limits' lock: once queued, a release on
  // another thread may drive the run at once.
  const TagLimits::Acquisition acquisition = limits_.acquire(&run, tags, [&run] { run.slot_wait_started(wall_us()); });
  switch (acquisition.outcome) {
    case TagLimits::Outcome::Granted:
      run.set_holds_slots(true);
      run.set_phase(Phase::Queued);
      return true;
    case TagLimits::Outcome::Queued:
      // From here on a release may drive the run: do not touch it.
      log_for(run, RH_LOG_DEBUG, "waiting for a concurrency slot");
      return false;
    case TagLimits::Outcome::ZeroLimit:
      end_run(run, StateId::Cancelled,
              "Tag '" + acquisition.zero_tag + "' has a concurrency limit of 0, so runs with it never start.");
      return true;
  }
  return true;
}

void Engine::release_slots(Run& run) {
  if (!run.holds_slots()) return;
  run.set_holds_slots(false);
  for (Run* granted : limits_.release(run.task().options.tags)) {
    granted->slot_wait_ended(wall_us());
    granted->set_holds_slots(true);
    granted->set_phase(Phase::Queued);
    drive(*granted, Where::elsewhere());
  }
}

}  // namespace rh::host
