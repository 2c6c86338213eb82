// A worker rank (every rank but 0): it tells rank 0 how many slots it has, then runs each
// slot's attempts in a worker of the process runner's kind (runners/process/worker), on a
// thread of its own whose Channel is a mailbox this rank's MPI thread fills. An outermost
// attempt sent ahead (prefetch) waits in the rank until the slot's attempt before it is done;
// everything else reaches the slot at once. The rank says something at least every
// heartbeat; it ends when rank 0 says Shutdown.
#pragma once

#include "mpi_options.hpp"

namespace rh::mpi_runner {

// Serves rank 0 until it ends the job. The process's exit status.
int serve_worker_rank(const MpiOptions& options);

}  // namespace rh::mpi_runner
