// In-process harness: tasks and flows declared with the real SDK inside the test binary,
// registered into a TaskRegistry, and run by the real engine on a real runner plugin.
#pragma once

#include "engine/engine.hpp"
#include "engine/host_api.hpp"
#include "engine/task_registry.hpp"
#include "events/event_bus.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/runner_instance.hpp"

#include <runner_host/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

namespace rh::testing {

// Path of a built runner plugin by name.
inline std::string runner_path(const std::string& name) {
  return std::string(RH_RUNNER_DIR) + "/librh_runner_" + name + ".so";
}

inline std::string test_plugin_path(const std::string& name) {
  return std::string(RH_TEST_PLUGIN_DIR) + "/lib" + name + ".so";
}

class EngineHarness {
 public:
  explicit EngineHarness(const std::string& runner, nlohmann::json runner_options = nlohmann::json::object(),
                         host::EngineOptions options = {}, host::EventBus* bus = nullptr)
      : runner_name_(runner), runner_options_(std::move(runner_options)), options_(std::move(options)),
        bus_(bus != nullptr ? bus : &own_bus_) {
    // The test binary is its own "plugin": point its SDK at the host API.
    rh::detail::host_slot() = host::host_api();
  }

  ~EngineHarness() { stop(); }

  // Declare tasks and flows here before the first run.
  rh::Library& library() { return library_; }
  host::EventBus& bus() { return *bus_; }
  host::TaskRegistry& registry() { return registry_; }

  // Registers the library, loads and starts the runner, creates the engine. Idempotent.
  host::Engine& engine() {
    if (!engine_) {
      registry_.add_library(*library_.finish(), "in-process");
      host::PluginLoader loader;
      runner_ = std::make_unique<host::RunnerInstance>(loader.load_runner(runner_path(runner_name_)), runner_options_);
      runner_->start();
      engine_ = std::make_unique<host::Engine>(registry_, runner_->scheduler(), *bus_, options_);
    }
    return *engine_;
  }

  std::unique_ptr<host::RunScope> run_flow(const std::string& name, const nlohmann::json& params = nlohmann::json::object()) {
    host::Engine& e = engine();
    return e.run_flow(*registry_.find(name), params.empty() ? std::string() : params.dump());
  }

  std::unique_ptr<host::RunScope> run_task(const std::string& name, const nlohmann::json& params = nlohmann::json::object()) {
    host::Engine& e = engine();
    return e.run_task(*registry_.find(name), params.empty() ? std::string() : params.dump());
  }

  // Shuts the runner down and destroys the engine (idempotent).
  void stop() {
    if (runner_) runner_->shutdown();
    engine_.reset();
    runner_.reset();
  }

 private:
  std::string runner_name_;
  nlohmann::json runner_options_;
  host::EngineOptions options_;
  host::EventBus own_bus_;
  host::EventBus* bus_;
  rh::Library library_;
  host::TaskRegistry registry_;
  std::unique_ptr<host::RunnerInstance> runner_;
  std::unique_ptr<host::Engine> engine_;
};

// The ordered state names of a run.
inline std::vector<std::string> state_names(const host::Run& run) {
  std::vector<std::string> names;
  for (const host::StateEntry& entry : run.history()) names.emplace_back(host::state_name(entry.id));
  return names;
}

// Task runs of a scope with the given task name, in creation order.
inline std::vector<host::RunRef> runs_of(const host::RunScope& scope, const std::string& task) {
  std::vector<host::RunRef> out;
  for (const host::RunRef& run : scope.runs()) {
    if (run->task().name == task) out.push_back(run);
  }
  return out;
}

}  // namespace rh::testing
