// State hooks and the end of a run: on_running (from attempt.cpp), the final hooks of the
// final state, then slot release, the terminal event, waking waiters and running done
// callbacks (dependents, wait sets, futures' callbacks).
#include "engine/engine.hpp"

#include <runner_host/abi_text.hpp>

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
    case RH_HOOK_ON_CRASHED: return "on_crashed";
    case RH_HOOK_ON_COMMIT: return "on_commit";
    default: return "on_rollback";
  }
}

}  // namespace

rh_run_view make_run_view(const Run& run) {
  const StateEntry& entry = run.current();
  const StateInfo& info = state_info(entry.id);
  rh_run_view view{};
  view.struct_size = sizeof(rh_run_view);
  view.run_id = run.id();
  view.flow_run_id = run.flow_run_id();
  view.task_name = to_rh_str(run.task().name);
  view.run_name = to_rh_str(run.name());
  view.state_type = info.type;
  view.run_count = run.run_count();
  view.state_name = to_rh_str(info.name);
  view.state_message = to_rh_str(run.message(entry));
  view.params_json = to_rh_str(run.params());
  if (is_completed(entry.id)) view.result_json = to_rh_str(run.result());
  if (const RunError* error = run.error()) {
    view.error_type = to_rh_str(error->type);
    view.error_message = to_rh_str(error->message);
  }
  view.is_final = info.terminal;
  return view;
}

void Engine::run_hooks(Run& run, std::uint32_t kind) {
  const auto& hooks = run.task().hooks_of(kind);
  if (hooks.empty()) return;
  const std::string_view state = state_name(run.state());
  for (const rh_hook* hook : hooks) {
    const std::string name = to_string(hook->name);
    log_for(run, RH_LOG_DEBUG,
            kind == RH_HOOK_ON_COMMIT || kind == RH_HOOK_ON_ROLLBACK
                ? "running hook '" + name + "': its transaction " +
                      (kind == RH_HOOK_ON_COMMIT ? "committed" : "rolled back")
                : "running hook '" + name + "' in response to entering state '" + std::string(state) + "'");
    const rh_run_view view = make_run_view(run);
    ErrorCapture error;
    const LogFields fields = log_fields_of(run);
    std::int32_t status;
    {
      const ScopedLogFields about(fields);  // what the hook logs (RunInfo::log) names the run
      status = hook->call(hook->user_data, &view, &error.sink);
    }
    if (status != RH_OK) {
      log_for(run, RH_LOG_ERROR,
              std::string(hook_kind_name(kind)) + " hook '" + name + "' raised " + error.type + ": " + error.message +
                  "; the run's state is unchanged");
    }
  }
}

void Engine::finish(Run& run, const Where where) {
  const int kind = hook_kind_for(run.state());
  const bool has_hooks = kind >= 0 && !run.task().hooks_of(static_cast<std::uint32_t>(kind)).empty();
  if (has_hooks && !where.on_worker) {
    // Hooks are user code: run them on the runner, not on a timer or a completing thread.
    try {
      hand_to_runner(run, &Engine::resume_entry);
      return;
    } catch (const RunnerRefused& e) {
      log_for(run, RH_LOG_ERROR, std::string("final hooks skipped: ") + e.what());
    }
  } else if (has_hooks) {
    run_hooks(run, static_cast<std::uint32_t>(kind));
  }
  release_slots(run);
  complete(run);
}

void Engine::complete(Run& run) {
  std::vector<std::pair<DoneFn, void*>> callbacks;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_phase(Phase::Done);
    callbacks = run.mark_done();
  }
  // Terminal: the run is immutable from here on, so the event can point into it.
  const StateEntry& entry = run.current();
  const StateEntry* previous = run.previous();
  publish(run, entry, previous, run.message(entry), previous != nullptr ? run.message(*previous) : std::string_view{});
  if (run.transaction() == nullptr || !stage_in_transaction(run)) {
    record_in_store(run, true, run.scope()->flow_run_uuid());
  }
  release_key_lock(run);  // after the record: another process sees the key free once it is written
  for (const auto& [fn, arg] : callbacks) fn(arg, &run);
  // Last: once the scope sees its last run finish, the host may tear everything down.
  run.scope()->run_finished(run);
}

}  // namespace rh::host
