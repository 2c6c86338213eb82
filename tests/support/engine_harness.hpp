// In-process harness: tasks and flows declared with the real SDK inside the test binary,
// registered into a host::Session, and run by its real engine on a real runner plugin.
#pragma once

#include "plugins/host_api.hpp"
#include "session/session.hpp"

#include <runner_host/sdk.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rh::testing {

// Path of a built runner plugin by name; a path (with a '/') is taken as it is.
inline std::string runner_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  return std::string(RH_RUNNER_DIR) + "/librh_runner_" + name + ".so";
}

inline std::string test_plugin_path(const std::string& name) {
  return std::string(RH_TEST_PLUGIN_DIR) + "/lib" + name + ".so";
}

inline host::SessionOptions session_options(host::EngineOptions engine = {}) {
  host::SessionOptions options;
  options.runner_dir = RH_BIN_DIR;
  options.engine = std::move(engine);
  return options;
}

class EngineHarness {
 public:
  explicit EngineHarness(const std::string& runner, nlohmann::json runner_options = nlohmann::json::object(),
                         host::EngineOptions options = {})
      : runner_name_(runner),
        runner_options_(std::move(runner_options)),
        session_(session_options(std::move(options))) {
    // The test binary is its own plugin: its SDK calls go to the host API, from the start.
    rh::detail::host_slot() = host::host_api();
  }

  // With session options of the test's own (a store, say).
  EngineHarness(const std::string& runner, host::SessionOptions options)
      : runner_name_(runner), runner_options_(nlohmann::json::object()), session_(with_runner_dir(std::move(options))) {
    rh::detail::host_slot() = host::host_api();
  }

  // Declare tasks and flows here before the first run.
  rh::Library& library() { return library_; }
  host::Session& session() { return session_; }
  host::EventBus& bus() { return session_.events(); }
  host::TaskRegistry& registry() { return session_.registry(); }

  // Registers the library, starts the runner and the engine. Idempotent.
  host::Engine& engine() {
    if (!session_.started()) {
      session_.add_library(library_);
      session_.start_runner(runner_path(runner_name_), runner_options_);
    }
    return session_.engine();
  }

  std::unique_ptr<host::RunScope> run_flow(const std::string& name,
                                           const nlohmann::json& params = nlohmann::json::object()) {
    return run(name, params);
  }
  std::unique_ptr<host::RunScope> run_task(const std::string& name,
                                           const nlohmann::json& params = nlohmann::json::object()) {
    return run(name, params);
  }

  // The same with the scope prepared by `configure` before the root run starts.
  std::unique_ptr<host::RunScope> run_flow_with(const std::string& name, const nlohmann::json& params,
                                                const std::function<void(host::RunScope&)>& configure) {
    host::Engine& e = engine();
    std::unique_ptr<host::RunScope> scope = e.open_scope();
    configure(*scope);
    e.start_root(*scope, *session_.registry().find(name), params.empty() ? std::string() : params.dump());
    e.wait(*scope);
    return scope;
  }

  // Shuts the runner down (idempotent); the session and its runs stay readable.
  void stop() { session_.shutdown(); }

 private:
  static host::SessionOptions with_runner_dir(host::SessionOptions options) {
    options.runner_dir = RH_BIN_DIR;
    return options;
  }
  std::unique_ptr<host::RunScope> run(const std::string& name, const nlohmann::json& params) {
    host::Engine& e = engine();
    return e.run(*session_.registry().find(name), params.empty() ? std::string() : params.dump());
  }

  std::string runner_name_;
  nlohmann::json runner_options_;
  rh::Library library_;
  host::Session session_;
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
