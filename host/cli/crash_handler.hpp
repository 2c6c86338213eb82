// When a task (or the host) crashes the process on an in-process runner: SIGSEGV, SIGBUS,
// SIGILL, SIGFPE or SIGABRT. The handler writes one line to stderr naming the run that was
// executing on the crashing thread and the signal, then lets the signal end the process as
// it would have (the exit status is the signal's; a core dump if enabled). Everything in
// it is async-signal-safe: no allocation, no lock, no stdio. What was already written
// stays: each event line went out with its own write(), so the events file holds every
// transition up to the crash.
#pragma once

namespace rh::host {

// Installs the handler for the process, with an alternate stack for the calling thread.
void install_crash_handler() noexcept;

}  // namespace rh::host
