// A worker slot with isolate: its attempts run in a worker process of the process runner's
// kind (runner-host-worker, spawned, never forked), so a task that segfaults, aborts or
// exits costs that process and its attempt (Crashed), never the rank. The slot's thread
// relays frames between its mailbox and the process's socket, and replaces a process that
// died (same Init) before the slot's next attempt.
#pragma once

#include "mpi_options.hpp"
#include "slot_mailbox.hpp"

#include <cstdint>

namespace rh::mpi_runner {

// Until rank 0 says Shutdown. `index` names the process in messages.
void relay_to_worker_process(SlotMailbox& mailbox, const MpiOptions& options, std::uint32_t index);

}  // namespace rh::mpi_runner
