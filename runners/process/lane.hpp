// One worker process of the process runner and the host side of its socket. Every attempt
// executed by the thread that borrowed it (nested ones included: a run the engine runs in
// place of waiting, a queued item run while waiting) goes to this lane's process, which nests
// it the same way, and that thread makes the host calls the task's code sends
// (docs/worker-protocol.md). A lane is touched by the one host thread that borrowed it (the
// runner hands it over under its lock), and by the runner once no thread holds it.
#pragma once

#include "attempt_host.hpp"
#include "lane_pool.hpp"
#include "worker_process.hpp"

#include <runner_host/abi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rh::process_runner {

struct LaneSettings {
  std::string program;                 // runner-host-worker
  std::vector<std::string> libraries;  // task library files each worker loads
  std::string host_version;
  std::uint64_t max_memory_mb = 0;        // 0: no limit
  std::uint64_t max_tasks_per_child = 0;  // 0: no recycling
  double kill_grace_seconds = 1.0;
  double start_timeout_seconds = 60.0;  // loading the libraries
};

// What a lane reports to its runner (runner log lines).
using LaneLog = void (*)(void* user_data, std::uint32_t level, const std::string& message);

class Lane final : public remote::Lane {
 public:
  Lane(std::uint32_t index, const LaneSettings& settings, LaneLog log, void* log_user_data);
  ~Lane() override;

  // Spawns the process (if it has none). spawn_worker and await_ready apart let a runner
  // start all its lanes' processes at once and then wait for them together. Throw
  // std::runtime_error naming the worker and why (its load error, its exit).
  void spawn_worker();
  void await_ready();

  // rh_remote_attempts.execute, on this lane's thread. A lost process is replaced, never
  // resent to: its attempt ends Crashed.
  std::int32_t execute(const rh_remote_attempt& attempt, bool may_resend) override;

  // Ends the process (Shutdown, then SIGKILL after the grace period) and reaps it.
  void stop();
  // Kills the process now (the host is going away and will not wait).
  void kill();
  std::uint32_t index() const noexcept { return index_; }
  // Processes this lane started, and attempts its processes ran.
  std::uint64_t spawned() const noexcept { return spawned_; }

 private:
  struct Frame;  // one executing attempt of this lane (lane.cpp)
  std::int32_t serve(Frame& frame);
  void handle(Frame& frame, const std::string& payload);
  // Ends the process for a reason worth a line of its own, and fails every attempt on it.
  void lose_worker(const std::string& why);
  // Once no attempt runs on it: replaces a process that was lost or has served its share.
  void after_outermost();
  void log_output(std::string_view line, bool from_stderr);

  const std::uint32_t index_;
  const LaneSettings& settings_;
  LaneLog log_;
  void* log_user_data_;
  std::unique_ptr<WorkerProcess> worker_;
  std::string lost_;            // why the process was lost; empty while it serves
  std::vector<Frame*> frames_;  // executing attempts, innermost last
  std::uint64_t next_attempt_ = 1;
  std::uint64_t tasks_on_worker_ = 0;
  std::uint64_t spawned_ = 0;
  remote::AttemptHost calls_;  // the handles the current process was given
};

}  // namespace rh::process_runner
