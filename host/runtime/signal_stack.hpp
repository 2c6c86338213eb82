// An alternate signal stack for the calling thread, so that a crash handler still runs when
// a thread dies of a stack overflow (the overflowed stack has no room for the handler).
// Cheap to call again: after the first call on a thread it is one thread-local read. The
// engine calls it wherever a worker thread enters it, since runners create their own.
#pragma once

namespace rh::host {

void ensure_signal_stack() noexcept;

}  // namespace rh::host
