// A created runner plugin instance with its lifecycle (create -> set_host -> start ->
// shutdown -> destroy), the services its session offers it (rh_runner_host: the session's
// timers, logging), and the RunnerLink the engine uses to reach it.
#pragma once

#include "plugins/plugin_loader.hpp"
#include "runtime/runner_link.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace rh::host {

class TimerService;

class RunnerInstance {
 public:
  // Creates the runner with its options. Throws PluginError with the runner's message
  // (e.g. an unknown or invalid option). `timers` are the session's; they outlive it.
  RunnerInstance(const LoadedPlugin& plugin, const nlohmann::json& options, TimerService& timers);
  ~RunnerInstance();
  RunnerInstance(const RunnerInstance&) = delete;
  RunnerInstance& operator=(const RunnerInstance&) = delete;

  // For a runner that runs attempts in other processes: the task library files those
  // processes load, before start. Throws PluginError with the runner's reason.
  void offer_libraries(const std::vector<std::string>& files);
  // The calling thread becomes the runner's home thread. Throws PluginError.
  void start();
  // Waits for every submitted item; idempotent.
  void shutdown();

  const std::string& name() const noexcept { return name_; }
  const RunnerLink& link() const noexcept { return *link_; }

 private:
  static std::uint64_t schedule_timer(const rh_runner_host* host, rh_time_ns deadline, rh_timer_callback callback,
                                      void* user_data);
  static bool cancel_timer(const rh_runner_host* host, std::uint64_t timer_id);
  static void log(const rh_runner_host* host, std::uint32_t level, rh_str message);
  static const void* get_extension(const rh_runner_host* host, rh_str id);
  static RunnerInstance& of(const rh_runner_host* host) { return *static_cast<RunnerInstance*>(host->host_data); }
  // The session's timers for a runner without set_host (its process-level timer calls).
  TimerService* legacy_timers() noexcept;

  const rh_runner_api* api_;
  rh_runner* runner_ = nullptr;
  std::string name_;
  TimerService& timers_;
  const rh_runner_host host_;
  const rh_remote_attempts* remote_ = nullptr;  // RH_EXT_REMOTE_ATTEMPTS, if the runner has it
  std::unique_ptr<RunnerLink> link_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace rh::host
