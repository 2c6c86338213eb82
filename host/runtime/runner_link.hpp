// The host's link to one runner instance (rh_runner_api): hands it work, and makes, sets and
// waits on its wake tokens. Cheap to pass by reference; the RunnerInstance that created the
// runner outlives every use. A link to a runner built for ABI 1.1 or older (no set_host)
// also tells that runner's process-level timer calls which session they belong to.
#pragma once

#include <runner_host/abi.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace rh::host {

class TimerService;

// The runner did not take a work item; what() carries the runner's reason.
class RunnerRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunnerLink {
 public:
  // legacy_timers: for a runner without set_host, the timers its rh_host_api.timer_schedule
  // calls reach while the host is calling into it (nullptr: none).
  // remote: the runner's RH_EXT_REMOTE_ATTEMPTS table, or nullptr.
  RunnerLink(const rh_runner_api* api, rh_runner* runner, std::string name, TimerService* legacy_timers = nullptr,
             const rh_remote_attempts* remote = nullptr);

  const std::string& name() const noexcept { return name_; }
  // Worker threads, or 0 when the runner does not say (concurrency is optional).
  std::uint32_t concurrency() const;
  // How many runs deep a waiting attempt may run a queued run itself (rh_runner_api).
  std::uint32_t inline_depth() const noexcept { return inline_depth_; }

  // Hands fn(arg) to the runner. Throws RunnerRefused with the runner's message.
  void submit(rh_work_fn fn, void* arg) const;

  // One-shot wake tokens: a waiter makes one, registers it where the awaited thing will
  // set it, waits, unregisters and destroys it (see rh::host::wait_until).
  rh_event* make_token() const;
  void set(rh_event* token) const;
  void destroy(rh_event* token) const;
  // true once set, false at the deadline.
  bool wait(rh_event* token, std::int64_t deadline, std::uint32_t flags = 0) const;
  void yield() const;

  // Whether the runner executes attempts of library tasks in other processes.
  bool runs_attempts_elsewhere() const noexcept { return remote_ != nullptr; }
  // Hands the attempt to such a runner; its RH_TASK_* code (or RH_TASK_WORKER_LOST).
  std::int32_t execute_elsewhere(const rh_remote_attempt& attempt) const;

 private:
  const rh_runner_api* api_;
  rh_runner* runner_;
  std::string name_;
  std::uint32_t inline_depth_;
  TimerService* legacy_timers_;  // non-null only for runners without set_host
  const rh_remote_attempts* remote_;
};

// For a runner without set_host: the timers of the session whose host call into that runner
// is running on this thread, or nullptr.
TimerService* legacy_runner_timers() noexcept;

// Marks a call into such a runner with its session's timers (nothing for timers nullptr).
class LegacyTimerScope {
 public:
  explicit LegacyTimerScope(TimerService* timers) noexcept;
  ~LegacyTimerScope();
  LegacyTimerScope(const LegacyTimerScope&) = delete;
  LegacyTimerScope& operator=(const LegacyTimerScope&) = delete;

 private:
  bool active_;
  TimerService* saved_ = nullptr;
};

// Whether a runner takes its host services through set_host (ABI 1.2).
bool has_set_host(const rh_runner_api* api) noexcept;

}  // namespace rh::host
