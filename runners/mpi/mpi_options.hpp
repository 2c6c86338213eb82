// The MPI runner's options ("runner": {"name": "mpi", ...}), read alike on every rank: each
// rank starts the same command line, and a worker rank's slots are its own cores.
#pragma once

#include <runner_host/runner.hpp>

#include <cstdint>
#include <string>

namespace rh::mpi_runner {

struct MpiOptions {
  std::uint32_t slots_per_rank = 0;  // attempts a worker rank runs at once; 0: its cores
  std::uint32_t prefetch = 2;        // attempts queued per slot, the running one included
  double heartbeat_seconds = 1.0;    // a rank silent for 3 of these is lost
  double start_timeout_seconds = 60.0;
  bool isolate = false;        // each slot's attempts in a worker process of its own
  std::string worker_program;  // isolate: runner-host-worker beside the plugin when empty
};

// Throws RunnerOptionError naming the option.
inline MpiOptions parse_mpi_options(json options) {
  RunnerOptions parsed(std::move(options));
  MpiOptions o;
  o.slots_per_rank = static_cast<std::uint32_t>(parsed.non_negative_int("slots_per_rank", 0));
  o.prefetch = parsed.positive_int("prefetch", 2);
  o.heartbeat_seconds = parsed.non_negative_number("heartbeat_seconds", 1.0);
  o.start_timeout_seconds = parsed.non_negative_number("start_timeout_seconds", 60.0);
  o.isolate = parsed.boolean("isolate", false);
  o.worker_program = parsed.string("worker_program", "");
  parsed.reject_unknown();
  if (o.prefetch > 8) throw RunnerOptionError("option 'prefetch' must be 1 to 8, got " + std::to_string(o.prefetch));
  if (o.heartbeat_seconds <= 0) throw RunnerOptionError("option 'heartbeat_seconds' must be more than 0");
  if (o.slots_per_rank == 0) o.slots_per_rank = hardware_threads();
  return o;
}

}  // namespace rh::mpi_runner
