// A created runner plugin instance with its lifecycle (create -> start -> shutdown ->
// destroy) and the Scheduler the engine uses to reach it.
#pragma once

#include "engine/scheduler.hpp"
#include "plugins/plugin_loader.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace rh::host {

class RunnerInstance {
 public:
  // Creates the runner with its options. Throws PluginError with the runner's message
  // (e.g. an unknown or invalid option).
  RunnerInstance(const LoadedPlugin& plugin, const nlohmann::json& options);
  ~RunnerInstance();
  RunnerInstance(const RunnerInstance&) = delete;
  RunnerInstance& operator=(const RunnerInstance&) = delete;

  // The calling thread becomes the runner's home thread. Throws PluginError.
  void start();
  // Waits for every submitted item; idempotent.
  void shutdown();

  const std::string& name() const noexcept { return name_; }
  Scheduler& scheduler() noexcept { return *scheduler_; }

 private:
  const rh_runner_api* api_;
  rh_runner* runner_ = nullptr;
  std::string name_;
  std::unique_ptr<Scheduler> scheduler_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace rh::host
