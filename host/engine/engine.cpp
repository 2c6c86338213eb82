#include "engine/engine.hpp"

#include "engine/clock.hpp"
#include "engine/future_params.hpp"
#include "engine/random.hpp"
#include "engine/timer_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rh::host {
namespace {

std::atomic<Engine*> g_active_engine{nullptr};

}  // namespace

Engine::Engine(const TaskRegistry& registry, Scheduler& scheduler, EventBus& bus, EngineOptions options)
    : registry_(registry),
      scheduler_(scheduler),
      bus_(bus),
      limits_(options.concurrency_limits),
      cache_(options.cache_max_entries) {
  g_active_engine.store(this, std::memory_order_release);
}

Engine::~Engine() {
  Engine* self = this;
  g_active_engine.compare_exchange_strong(self, nullptr, std::memory_order_acq_rel);
}

Engine* Engine::active() noexcept { return g_active_engine.load(std::memory_order_acquire); }

// ------------------------------------------------------------------ roots

std::unique_ptr<RunScope> Engine::run_flow(const TaskDef& flow, std::string params_json) {
  return execute_root(flow, std::move(params_json));
}

std::unique_ptr<RunScope> Engine::run_task(const TaskDef& task, std::string params_json) {
  return execute_root(task, std::move(params_json));
}

std::unique_ptr<RunScope> Engine::execute_root(const TaskDef& def, std::string params_json) {
  auto scope = std::make_unique<RunScope>(*this);
  track(scope.get(), true);
  RunRef root = create(*scope, def, 0, std::move(params_json), def.is_flow);
  start(*root, {});
  scope->wait_idle();
  track(scope.get(), false);
  return scope;
}

void Engine::track(RunScope* scope, bool add) {
  std::lock_guard<std::mutex> lock(scopes_mutex_);
  if (add) {
    scopes_.push_back(scope);
  } else {
    scopes_.erase(std::remove(scopes_.begin(), scopes_.end(), scope), scopes_.end());
  }
}

// ------------------------------------------------------------------ creation

RunRef Engine::create(RunScope& scope, const TaskDef& task, std::uint64_t parent_id, std::string params,
                      bool is_flow_run) {
  // A templated name is rendered now when the parameters are already values, so every event
  // of the run carries it; with futures it waits for their results (upstreams_ready), and a
  // rendering error is reported there too.
  std::string name;
  bool named = false;
  if (!task.options.run_name.empty() && !mentions_futures(params)) {
    try {
      name = task.options.run_name.render(params.empty() ? nlohmann::json::object() : nlohmann::json::parse(params));
      named = true;
    } catch (const std::exception&) {
    }
  }
  if (!named) {
    name = task.name;
    name += '-';
    append_random_hex(name, 3);
  }
  RunRef run = scope.create_run(task, parent_id, std::move(name), std::move(params), is_flow_run);
  run->set_name_rendered(named || task.options.run_name.empty());
  transition(*run, StateId::Pending);
  return run;
}

RunRef Engine::submit(RunScope& scope, std::uint64_t parent_id, const TaskDef& task, std::string params,
                      const std::vector<DependencySpec>& deps) {
  std::vector<Upstream> upstreams;
  upstreams.reserve(deps.size());
  for (const DependencySpec& dep : deps) {
    if (dep.run == nullptr) throw SubmitError("task '" + task.name + "': a wait_for future is empty");
    upstreams.push_back(Upstream{RunRef(dep.run), dep.allow_failure});
  }
  const bool has_futures = mentions_futures(params);
  if (has_futures) {
    // Validate before creating anything: a refused submission leaves no run behind.
    std::vector<FutureRef> refs;
    try {
      refs = find_futures(params);
    } catch (const std::exception& e) {
      throw SubmitError("parameters of '" + task.name + "': " + e.what());
    }
    for (const FutureRef& ref : refs) {
      Run* upstream = scope.find(ref.run_id);
      if (upstream == nullptr) {
        throw SubmitError("parameters of '" + task.name + "' refer to task run " + std::to_string(ref.run_id) +
                          ", which is not a run of this flow");
      }
      upstreams.push_back(Upstream{RunRef(upstream), ref.allow_failure});
    }
  }
  RunRef run = create(scope, task, parent_id, std::move(params), false);
  run->set_params_have_futures(has_futures);
  start(*run, std::move(upstreams));
  return run;
}

void Engine::start(Run& run, std::vector<Upstream> upstreams) {
  if (interrupted()) {
    cancel_never_started(run);
    return;
  }
  if (upstreams.empty()) {
    upstreams_ready(run);
    return;
  }
  // One extra count held by this function, so the last upstream finishing during
  // registration cannot start the run twice.
  run.pending_upstreams().store(static_cast<std::uint32_t>(upstreams.size()) + 1, std::memory_order_relaxed);
  run.upstreams() = std::move(upstreams);
  for (Upstream& upstream : run.upstreams()) on_done(*upstream.run, &Engine::on_upstream_done, &run);
  on_upstream_done(&run, nullptr);
}

void Engine::on_upstream_done(void* arg, Run*) {
  Run& run = *static_cast<Run*>(arg);
  if (run.pending_upstreams().fetch_sub(1, std::memory_order_acq_rel) == 1) run.engine().upstreams_ready(run);
}

void Engine::upstreams_ready(Run& run) {
  if (interrupted()) {
    cancel_never_started(run);
    return;
  }
  for (const Upstream& upstream : run.upstreams()) {
    const StateId state = upstream.run->state();
    if (!is_completed(state) && !upstream.allow_failure) {
      finish(run, StateId::NotReady,
             "Upstream task run '" + upstream.run->name() + "' (id " + std::to_string(upstream.run->id()) +
                 ") did not reach a 'COMPLETED' state.",
             false);
      return;
    }
  }
  if (run.params_have_futures()) {
    if (!resolve_parameters(run)) return;
  } else if (!run.name_rendered()) {
    if (!render_name(run, nullptr)) return;
  }
  acquire_slots(run);
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
    run.lock().lock();
    run.set_error("rh::ParameterError", e.what());
    run.lock().unlock();
    finish(run, StateId::Failed, std::string("Could not resolve parameters: ") + e.what(), false);
    return false;
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
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.set_error("rh::NameTemplateError", e.what());
    }
    finish(run, StateId::Failed, std::string("Could not name the run: ") + e.what(), false);
    return false;
  }
}

// ------------------------------------------------------------------ states and events

void Engine::transition(Run& run, StateId state, std::string message, std::int64_t scheduled_us) {
  const bool listening = bus_.has_subscribers();
  run.lock().lock();
  const StateEntry entry = run.record(state, std::move(message), scheduled_us);
  if (!listening) {
    run.lock().unlock();
    return;
  }
  // Copies: another thread may append to the history once the lock is released.
  const StateEntry* prev_ptr = run.previous();
  const StateEntry prev = prev_ptr != nullptr ? *prev_ptr : StateEntry{};
  const std::string text(run.message(entry));
  const std::string prev_text = prev_ptr != nullptr ? std::string(run.message(*prev_ptr)) : std::string();
  run.lock().unlock();
  publish(run, entry, prev_ptr != nullptr ? &prev : nullptr, text, prev_text);
}

void Engine::publish(const Run& run, const StateEntry& entry, const StateEntry* previous, std::string_view message,
                     std::string_view previous_message) {
  if (!bus_.has_subscribers()) return;
  TaskRunEvent event;
  event.id = bus_.next_event_id();
  event.time_us = entry.time_us;
  event.is_flow_run = run.is_flow();
  event.run_id = run.id();
  event.run_name = run.name();
  event.task_name = run.task().name;
  event.run_count = run.run_count();
  event.flow_run_id = run.flow_run_id();
  event.state = entry.id;
  event.message = message;
  if (const StateDetail* detail = run.detail(entry)) event.scheduled_us = detail->scheduled_us;
  if (previous != nullptr) {
    event.previous = previous->id;
    event.previous_message = previous_message;
  }
  bus_.publish(event);
}

void Engine::log_for(const Run& run, std::uint32_t level, std::string_view message) const {
  const auto lvl = static_cast<spdlog::level::level_enum>(std::min<std::uint32_t>(level, RH_LOG_CRITICAL));
  spdlog::log(lvl, "[{}] {}", run.name(), message);
}

// ------------------------------------------------------------------ interrupt

void Engine::interrupt() {
  if (interrupted_.exchange(true, std::memory_order_acq_rel)) return;
  spdlog::warn("interrupted: no new task runs will start; running ones are asked to stop");
  for (Run* waiting : limits_.drain_waiters()) cancel_never_started(*waiting);
  std::vector<RunRef> runs;
  {
    std::lock_guard<std::mutex> lock(scopes_mutex_);
    for (RunScope* scope : scopes_) {
      auto scope_runs = scope->runs();
      runs.insert(runs.end(), scope_runs.begin(), scope_runs.end());
      if (scope->flow_run()) runs.push_back(scope->flow_run());
    }
  }
  for (const RunRef& run : runs) {
    bool cancel_retry = false;
    {
      std::lock_guard<SpinLock> lock(run->lock());
      if (run->done()) continue;
      if (run->state() == StateId::AwaitingRetry && run->attempt().timer_id != 0) {
        cancel_retry = TimerService::instance().cancel(run->attempt().timer_id);
      }
    }
    if (cancel_retry) {
      finish(*run, StateId::Cancelled, "The host was interrupted before the retry started.", false);
      run->release();  // the reference the retry timer held
    } else {
      stop_attempt(*run, StopReason::Cancelled);
    }
  }
}

void Engine::stop_attempt(Run& run, StopReason reason) {
  std::lock_guard<SpinLock> lock(run.lock());
  AttemptState& attempt = run.attempt();
  if (!attempt.active) return;
  attempt.stop.store(static_cast<std::uint8_t>(reason), std::memory_order_release);
  if (attempt.wait_token != nullptr) scheduler_.set(attempt.wait_token);
}

RunRef Engine::find_run(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(scopes_mutex_);
  for (RunScope* scope : scopes_) {
    if (Run* run = scope->find(id)) return RunRef(run);
  }
  return RunRef();
}

void Engine::on_done(Run& run, DoneFn fn, void* arg) {
  bool now;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    now = !run.add_done_callback(fn, arg);
  }
  if (now) fn(arg, &run);
}

}  // namespace rh::host
