// The process runner: host threads run the work items, in the host; the attempts of task
// library tasks among them go to a worker process (a Lane) as descriptions
// (RH_EXT_REMOTE_ATTEMPTS, docs/worker-protocol.md), so a task that segfaults, aborts, exits
// or runs out of memory ends its run Crashed and costs a process, never the host. The pool
// (lane_pool.hpp) lends a process to an attempt and the attempts nested in it; when every
// process is held by an attempt that waits, it starts one more, up to a cap.
#include "lane.hpp"
#include "lane_pool.hpp"
#include "worker_program.hpp"

#include <runner_host/extensions.hpp>
#include <runner_host/runner.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace rh::process_runner {
namespace {

// Processes beyond max_workers, started only for attempts that wait: a bound on what a burst
// of waits can cost (a process costs its libraries).
std::size_t process_cap(std::uint32_t workers) { return std::size_t{workers} * 2 + 4; }

std::uint32_t max_workers(RunnerOptions& options) { return options.positive_int("max_workers", hardware_threads()); }

class ProcessRunner final : public remote::LanePool {
 public:
  explicit ProcessRunner(json options) : ProcessRunner(RunnerOptions(std::move(options))) {}

  ~ProcessRunner() override {
    // After a failed start (no shutdown): no process may outlive the runner.
    for (auto& lane : lanes_) lane->kill();
  }

 private:
  explicit ProcessRunner(RunnerOptions parsed) : LanePool(max_workers(parsed)) {
    settings_.max_tasks_per_child = parsed.non_negative_int("max_tasks_per_child", 0);
    settings_.kill_grace_seconds = parsed.non_negative_number("kill_grace_seconds", 1.0);
    settings_.max_memory_mb = parsed.non_negative_int("max_memory_mb", 0);
    settings_.start_timeout_seconds = parsed.non_negative_number("start_timeout_seconds", 60.0);
    settings_.program = parsed.string("worker_program", "");
    parsed.reject_unknown();
    if (settings_.program.empty()) settings_.program = remote::default_worker_program();
    const auto* info = host_extension<rh_host_info>(RH_EXT_HOST_INFO);
    if (info != nullptr) settings_.host_version = to_string(info->version);
  }

  std::vector<remote::Lane*> open_lanes() override {
    settings_.libraries = libraries();
    // All processes first, then wait for them together: starting the pool costs one
    // library load, not one per worker.
    for (std::uint32_t i = 0; i < workers(); ++i) {
      lanes_.push_back(std::make_unique<Lane>(i + 1, settings_, &ProcessRunner::lane_log, this));
    }
    try {
      for (auto& lane : lanes_) lane->spawn_worker();
      for (auto& lane : lanes_) lane->await_ready();
    } catch (...) {
      for (auto& lane : lanes_) lane->kill();
      throw;
    }
    std::vector<remote::Lane*> lanes;
    for (auto& lane : lanes_) lanes.push_back(lane.get());
    return lanes;
  }

  void close_lanes() override {
    for (auto& lane : lanes_) lane->stop();
  }

  remote::Lane* extra_lane_locked(std::size_t held) override {
    if (held >= process_cap(workers())) return nullptr;
    lanes_.push_back(
        std::make_unique<Lane>(static_cast<std::uint32_t>(held + 1), settings_, &ProcessRunner::lane_log, this));
    log(RH_LOG_INFO, "every worker process is held by an attempt that waits; starting worker " +
                         std::to_string(held + 1) + " for the runs they wait for");
    return lanes_.back().get();  // its process starts with its first attempt
  }

  static void lane_log(void* self, std::uint32_t level, const std::string& message) {
    static_cast<ProcessRunner*>(self)->log(level, message);
  }

  LaneSettings settings_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // more than max_workers only for waits
};

const void* get_extension(rh_str id) {
  return to_string_view(id) == RH_EXT_REMOTE_ATTEMPTS ? &remote::LanePool::remote_attempts() : nullptr;
}

}  // namespace
}  // namespace rh::process_runner

RH_RUNNER_PLUGIN_WITH_EXTENSIONS("process", "1.0.0", rh::process_runner::ProcessRunner,
                                 &rh::process_runner::get_extension)
