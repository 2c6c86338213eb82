// Ending a run: final state, final hooks, slot release, the terminal event, waking
// waiters and running done callbacks (dependents, wait sets, futures' callbacks).
#include "engine/engine.hpp"

#include <spdlog/spdlog.h>

namespace rh::host {
namespace {

// The hooks a final state triggers, or -1 for none (NotReady, Cancelled).
int hook_kind_for(StateId state) {
  switch (state) {
    case StateId::Completed:
    case StateId::Cached: return RH_HOOK_ON_COMPLETION;
    case StateId::Failed:
    case StateId::TimedOut: return RH_HOOK_ON_FAILURE;
    case StateId::Crashed: return RH_HOOK_ON_CRASHED;
    default: return -1;
  }
}

const char* hook_kind_name(std::uint32_t kind) {
  switch (kind) {
    case RH_HOOK_ON_RUNNING: return "on_running";
    case RH_HOOK_ON_COMPLETION: return "on_completion";
    case RH_HOOK_ON_FAILURE: return "on_failure";
    default: return "on_crashed";
  }
}

struct HookError {
  rh_error_sink sink{sizeof(rh_error_sink), this, &HookError::set};
  std::string text;
  static void set(rh_error_sink* s, rh_str type, rh_str message) {
    auto* self = static_cast<HookError*>(s->host_data);
    self->text.assign(type.data == nullptr ? "" : std::string(type.data, type.size));
    self->text += ": ";
    if (message.data != nullptr) self->text.append(message.data, message.size);
  }
};

rh_str str(const std::string& s) { return rh_str{s.data(), s.size()}; }
rh_str str(std::string_view s) { return rh_str{s.data(), s.size()}; }

}  // namespace

rh_run_view make_run_view(const Run& run) {
  const StateEntry& entry = run.current();
  const StateInfo& info = state_info(entry.id);
  rh_run_view view{};
  view.struct_size = sizeof(rh_run_view);
  view.run_id = run.id();
  view.flow_run_id = run.flow_run_id();
  view.task_name = str(run.task().name);
  view.run_name = str(run.name());
  view.state_type = info.type;
  view.run_count = run.run_count();
  view.state_name = str(info.name);
  view.state_message = str(run.message(entry));
  view.params_json = str(run.params());
  if (is_completed(entry.id)) view.result_json = str(run.result());
  if (const RunError* error = run.error()) {
    view.error_type = str(error->type);
    view.error_message = str(error->message);
  }
  view.is_final = info.terminal;
  return view;
}

void Engine::finish(Run& run, StateId final_state, std::string message, bool on_worker) {
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.record(final_state, std::move(message));
  }
  const int kind = hook_kind_for(final_state);
  const bool has_hooks = kind >= 0 && !run.task().hooks_of(static_cast<std::uint32_t>(kind)).empty();
  if (has_hooks && !on_worker) {
    // Hooks are user code: run them on the runner, not on the timer or a completing thread.
    run.retain();
    try {
      scheduler_.submit(&Engine::finish_entry, &run);
      return;
    } catch (const RunnerRefused& e) {
      run.release();
      log_for(run, RH_LOG_ERROR, std::string("final hooks skipped: ") + e.what());
      release_slots(run);
      complete(run);
      return;
    }
  }
  if (has_hooks) run_hooks(run, static_cast<std::uint32_t>(kind));
  release_slots(run);
  complete(run);
}

void Engine::finish_entry(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  Engine& engine = run.engine();
  {
    const AttemptScope scope;
    engine.run_hooks(run, static_cast<std::uint32_t>(hook_kind_for(run.state())));
    engine.release_slots(run);
    engine.complete(run);
  }
  run.release();
}

void Engine::complete(Run& run) {
  std::vector<std::pair<DoneFn, void*>> callbacks;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    callbacks = run.mark_done(scheduler_);
  }
  // Terminal: the run is immutable from here on, so the event can point into it.
  const StateEntry& entry = run.current();
  const StateEntry* previous = run.previous();
  publish(run, entry, previous, run.message(entry),
          previous != nullptr ? run.message(*previous) : std::string_view{});
  for (const auto& [fn, arg] : callbacks) fn(arg, &run);
  // Last: once the scope sees its last run finish, the host may tear everything down.
  run.scope()->run_finished();
}

void Engine::run_hooks(Run& run, std::uint32_t kind) {
  const auto& hooks = run.task().hooks_of(kind);
  if (hooks.empty()) return;
  const std::string_view state = state_name(run.state());
  for (const rh_hook* hook : hooks) {
    const std::string name(hook->name.data == nullptr ? "" : std::string(hook->name.data, hook->name.size));
    log_for(run, RH_LOG_DEBUG, "running hook '" + name + "' in response to entering state '" + std::string(state) + "'");
    const rh_run_view view = make_run_view(run);
    HookError error;
    if (hook->call(hook->user_data, &view, &error.sink) != RH_OK) {
      log_for(run, RH_LOG_ERROR,
              std::string(hook_kind_name(kind)) + " hook '" + name + "' raised " + error.text +
                  "; the run's state is unchanged");
    }
  }
}

void Engine::cancel_never_started(Run& run) {
  // Also reached by a run waiting for its tag slots again after a retry delay.
  finish(run, StateId::Cancelled,
         run.started() ? "The host was interrupted before the retry started."
                       : "The run never started: the host was interrupted.",
         false);
}

}  // namespace rh::host
