// Blocking on a wake token from anywhere: through the active engine (so a blocked attempt
// still notices cancellation and its deadline), or plainly on a thread when none is active.
#pragma once

#include "engine/scheduler.hpp"

#include <cstdint>

namespace rh::host {

// RH_OK when the token was set, RH_TIMEOUT at the deadline, RH_CANCELLED /
// RH_TIMED_OUT_ATTEMPT when the calling attempt must stop.
std::int32_t block_on(Scheduler& scheduler, rh_event* token, std::int64_t deadline, std::uint32_t flags = 0);

}  // namespace rh::host
