#include "session/session.hpp"

#include "engine/execution_context.hpp"
#include "plugins/host_api.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <stdexcept>

namespace rh::host {

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      store_(options_.store ? std::make_unique<Store>(*options_.store) : nullptr),
      loader_(options_.allow_untrusted_plugins),
      waiters_(bus_, context_blocker(), options_.waiter,
               // Runs that ended before a waiter listened: the engine still has them.
               [this](std::uint64_t id) -> std::optional<FinalState> {
                 return engine_ != nullptr ? engine_->final_state_of(id) : std::nullopt;
               }) {}

Session::~Session() {
  shutdown();
  // The engine goes first, then the runner, whose host services (the timers) stay valid
  // until its destroy returns (abi.h); then the timers (their thread is joined), the
  // waiters (stopped, off the bus) and the bus, as members do.
  engine_.reset();
  runner_.reset();
}

const LoadedPlugin& Session::load_library(const std::string& path, const std::string& expected_sha256) {
  LoadedPlugin plugin = loader_.load_task_library(path, expected_sha256);
  registry_.add_library(*plugin.library, path, plugin.real_path);
  libraries_.push_back(std::move(plugin));
  return libraries_.back();
}

void Session::add_library(rh::Library& library, const std::string& origin) {
  // This program is its own plugin: its SDK calls go to the host API directly. The slot is the
  // program's one, shared by every session of it (on any thread), and the table is the
  // process's one: set it once, so sessions started side by side do not race on it.
  static std::once_flag set_once;
  std::call_once(set_once, [] { rh::detail::host_slot() = host_api(); });
  registry_.add_library(*library.finish(), origin);
}

void Session::apply_task_overrides(const nlohmann::json& overrides, const std::string& source) {
  registry_.apply_overrides(overrides, source);
}

void Session::start_runner(const std::string& name_or_path, const nlohmann::json& options) {
  if (runner_) throw std::logic_error("the session's runner is already started");
  const std::string path = locate_runner(name_or_path, options_.runner_dir);
  LoadedPlugin plugin = loader_.load_runner(path);
  // A runner from outside the host's own directories (a path, or $RUNNER_HOST_RUNNER_PATH,
  // which may shadow a built-in name) is said at info; the usual one at debug.
  const auto level = runner_is_from_elsewhere(path, options_.runner_dir) ? spdlog::level::info : spdlog::level::debug;
  spdlog::log(level, "runner '{}' is {}", name_or_path, plugin.real_path);
  auto runner = std::make_unique<RunnerInstance>(plugin, options, timers_);
  std::vector<std::string> files;
  for (const LoadedPlugin& library : libraries_) files.push_back(library.real_path);
  runner->offer_libraries(files);
  runner->start();
  runner_ = std::move(runner);
  engine_ = std::make_unique<Engine>(EngineParts{registry_, runner_->link(), bus_, timers_, waiters_, store_.get()},
                                     options_.engine);
}

std::unique_ptr<RunScope> Session::run(const TaskDef& def, std::string params_json) {
  return engine().run(def, std::move(params_json));
}

std::unique_ptr<RunScope> Session::open_scope() { return engine().open_scope(); }

void Session::start_root(RunScope& scope, const TaskDef& def, std::string params_json) {
  engine().start_root(scope, def, std::move(params_json));
}

void Session::wait(RunScope& scope) { engine().wait(scope); }

void Session::interrupt() {
  if (engine_) engine_->interrupt();
}

bool Session::interrupted() const noexcept { return engine_ != nullptr && engine_->interrupted(); }

void Session::shutdown() {
  if (runner_) runner_->shutdown();
}

Engine& Session::engine() {
  if (!engine_) throw std::logic_error("the session has no engine before start_runner()");
  return *engine_;
}

const std::string& Session::runner_name() const {
  if (!runner_) throw std::logic_error("the session has no runner before start_runner()");
  return runner_->name();
}

}  // namespace rh::host
