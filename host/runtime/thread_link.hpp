// Wake tokens for threads that belong to no runner (a thread of the embedding program, a
// test, the host after its runner stopped): rh::DeadlineEvent, a mutex, a condition
// variable and a flag. Stateless, so one link serves every session.
#pragma once

#include "runtime/runner_link.hpp"

namespace rh::host {

// A link whose tokens block the calling thread; it refuses submit().
const RunnerLink& thread_link();

}  // namespace rh::host
