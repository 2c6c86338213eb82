// A run's inputs, before it may take slots: its upstreams (the futures in its parameters
// and its wait_for list) must all be terminal and, unless allowed to fail, completed; then
// the futures in its parameters are replaced by their results and its name is rendered.
#include "engine/engine.hpp"
#include "engine/future_params.hpp"

namespace rh::host {

bool Engine::await_upstreams(Run& run) {
  std::vector<Upstream>& upstreams = run.upstreams();
  // One extra count held here, so the last upstream ending during registration cannot
  // drive the run on while this thread still registers.
  run.pending_upstreams().store(static_cast<std::uint32_t>(upstreams.size()) + 1, std::memory_order_relaxed);
  for (Upstream& upstream : upstreams) on_done(*upstream.run, &Engine::on_upstream_done, &run);
  // Every upstream already ended: go on here. Otherwise the last one drives the run on,
  // and this thread must not touch it any more.
  return run.pending_upstreams().fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void Engine::on_upstream_done(void* arg, Run*) {
  Run& run = *static_cast<Run*>(arg);
  if (run.pending_upstreams().fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Called by whoever ends the upstream: always engine code, which has set the context.
  run.engine().drive(run, Where::elsewhere());
}

bool Engine::prepare_inputs(Run& run) {
  for (const Upstream& upstream : run.upstreams()) {
    const StateId state = upstream.run->state();
    if (!is_completed(state) && !upstream.allow_failure) {
      end_run(run, StateId::NotReady,
              "Upstream task run '" + upstream.run->name() + "' (id " + std::to_string(upstream.run->id()) +
                  ") did not reach a 'COMPLETED' state.");
      return false;
    }
  }
  if (run.params_have_futures()) return resolve_parameters(run);
  return run.name_rendered() || render_name(run, nullptr);
}

bool Engine::resolve_parameters(Run& run) {
  nlohmann::json params;
  try {
    params = resolve_futures(run.params(), [&](std::uint64_t id) -> const Run* {
      for (const Upstream& upstream : run.upstreams()) {
        if (upstream.run->id() == id) return upstream.run.get();
      }
      return nullptr;
    });
  } catch (const std::exception& e) {
    return fail_inputs(run, "rh::ParameterError", "Could not resolve parameters: ", e.what());
  }
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_params(params.dump());
  }
  return run.task().options.run_name.empty() || render_name(run, &params);
}

bool Engine::render_name(Run& run, const nlohmann::json* params) {
  try {
    std::string name;
    if (params != nullptr) {
      name = run.task().options.run_name.render(*params);
    } else {
      const std::string& text = run.params();
      name = run.task().options.run_name.render(text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text));
    }
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_name(std::move(name));
    return true;
  } catch (const std::exception& e) {
    return fail_inputs(run, "rh::NameTemplateError", "Could not name the run: ", e.what());
  }
}

bool Engine::fail_inputs(Run& run, const char* error_type, const char* what_failed, const std::string& why) {
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_error(error_type, why);
  }
  // Logged as a task's own failure is (retry.cpp): it ends the run as surely.
  log_for(run, RH_LOG_ERROR, std::string(what_failed) + why);
  end_run(run, StateId::Failed, what_failed + why);
  return false;
}

}  // namespace rh::host
