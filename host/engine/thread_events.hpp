// Set-once events for plain threads (mutex + condition variable), used for waits that
// happen while no runner is active, e.g. a TaskRunWaiter used by the host after shutdown.
#pragma once

#include "engine/scheduler.hpp"

namespace rh::host {

// A Scheduler whose events block the calling thread; it refuses submit().
Scheduler& thread_scheduler();

// The scheduler of the active engine, or thread_scheduler() when there is none.
Scheduler& current_scheduler();

}  // namespace rh::host
