// Whether this `runner-host` is one of its runner's workers rather than the host of a run:
// every rank of an MPI job starts the same command line, and all but one serve attempts
// (RH_EXT_WORKER_ROLE). Asked before anything with effects outside the process (a store, an
// output file) is opened, so a worker leaves no trace of a run of its own.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace rh::host {

struct WorkerRoleRequest {
  std::string runner;  // name or path, as --runner gives it
  nlohmann::json options;
  std::filesystem::path runner_dir;
  bool allow_untrusted_plugins = false;
};

// The exit status of a process that served as a worker; nullopt for the host of the run
// (and for every runner without workers of that kind). Throws std::runtime_error with the
// runner's reason (bad options, or a job with no worker to coordinate).
std::optional<int> serve_if_worker(const WorkerRoleRequest& request);

}  // namespace rh::host
