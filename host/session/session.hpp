// host::Session: one host, and everything a run needs, with no process-wide state. It owns,
// in this order: the plugin loader, the task registry, the runner instance, the event bus,
// the waiters, the timer service and the engine. It tears down the engine first, then the
// runner (after shutting it down), then the rest in reverse order; the store (when it has
// one) goes last, after its writer committed every record. The CLI's commands, the
// test harness and the benchmarks each build one; two sessions in one process share
// nothing but the loaded libraries and run side by side.
//
//   SessionOptions options;
//   options.runner_dir = exe_dir;
//   Session session(options);
//   session.load_library("./libtasks.so");  // any number; PluginError, RegistryError
//   session.start_runner("tbb", {{"max_workers", 4}});
//   auto scope = session.run(*session.registry().find("pipeline"), "{}");
#pragma once

#include "engine/engine.hpp"
#include "engine/task_registry.hpp"
#include "events/event_bus.hpp"
#include "events/waiter_registry.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/runner_instance.hpp"
#include "runtime/timer_service.hpp"
#include "store/store.hpp"

#include <runner_host/library.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rh::host {

struct SessionOptions {
  std::filesystem::path runner_dir;  // where runner names are looked up (next to the executable)
  EngineOptions engine;
  WaiterOptions waiter;  // of the session's TaskRunWaiter instance
  // Load plugin files that fail the trust check (plugins/plugin_trust.hpp) anyway.
  bool allow_untrusted_plugins = false;
  // The store of run records, results and cache entries; none: nothing outlives the session.
  std::optional<StoreOptions> store;
};

class Session {
 public:
  // Opens the store, if any: throws StoreError (one line naming the file).
  explicit Session(SessionOptions options = {});
  // Shuts the runner down (every submitted item returns) before anything is destroyed.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // --- libraries (before start_runner) ---
  // Loads a task library plugin and registers its tasks. Throws PluginError, RegistryError.
  // A non-empty `expected_sha256` (lowercase hex) must be the file's SHA-256.
  const LoadedPlugin& load_library(const std::string& path, const std::string& expected_sha256 = {});
  // Registers tasks declared in this program (runner-host embedded as a library, tests,
  // benchmarks): finishes `library` and points this program's SDK at the host.
  void add_library(rh::Library& library, const std::string& origin = "in-process");
  // Config "tasks" overrides. Throws RegistryError naming `source`.
  void apply_task_overrides(const nlohmann::json& overrides, const std::string& source);

  // --- the runner and the engine ---
  // Loads, creates and starts the runner (a name looked up in runner_dir and
  // $RUNNER_HOST_RUNNER_PATH, or a path), then creates the engine. Throws PluginError.
  void start_runner(const std::string& name_or_path, const nlohmann::json& options = nlohmann::json::object());
  // Runs a flow or a task to completion (every run it made is terminal). After start_runner.
  std::unique_ptr<RunScope> run(const TaskDef& def, std::string params_json = {});
  // The same in steps (Engine::open_scope, start_root, wait).
  std::unique_ptr<RunScope> open_scope();
  void start_root(RunScope& scope, const TaskDef& def, std::string params_json = {});
  void wait(RunScope& scope);
  // Ctrl-C; safe from any thread but a signal handler. Nothing before start_runner.
  void interrupt();
  bool interrupted() const noexcept;
  // Waits for every item the runner still has; idempotent. The destructor calls it.
  void shutdown();

  const std::vector<LoadedPlugin>& libraries() const noexcept { return libraries_; }
  TaskRegistry& registry() noexcept { return registry_; }
  const TaskRegistry& registry() const noexcept { return registry_; }
  EventBus& events() noexcept { return bus_; }
  WaiterRegistry& waiters() noexcept { return waiters_; }
  TimerService& timers() noexcept { return timers_; }
  Store* store() noexcept { return store_.get(); }
  bool started() const noexcept { return engine_ != nullptr; }
  // After start_runner:
  Engine& engine();
  const std::string& runner_name() const;

 private:
  SessionOptions options_;
  std::unique_ptr<Store> store_;  // first in, last out: every other member may record into it
  PluginLoader loader_;
  TaskRegistry registry_;
  std::vector<LoadedPlugin> libraries_;
  std::unique_ptr<RunnerInstance> runner_;
  EventBus bus_;
  WaiterRegistry waiters_;
  TimerService timers_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace rh::host
