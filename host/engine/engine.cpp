// The engine's outside: construction, running a root flow or task, submissions, the
// interrupt, and the lookups the host API and the waiter use. The life of a run itself is
// in state_machine.cpp.
#include "engine/engine.hpp"

#include "base/random.hpp"
#include "engine/execution_context.hpp"
#include "engine/future_params.hpp"
#include "runtime/timer_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rh::host {

Engine::Engine(EngineParts parts, EngineOptions options)
    : registry_(parts.registry),
      runner_(parts.runner),
      bus_(parts.events),
      timers_(parts.timers),
      waiters_(parts.waiters),
      transitions_(*options.transitions),
      on_illegal_(options.on_illegal_transition),
      limits_(options.concurrency_limits),
      cache_(options.cache_max_entries),
      store_(parts.store),
      key_locks_(parts.store),
      no_cache_(options.no_cache),
      refresh_cache_(options.refresh_cache) {}

Engine::~Engine() = default;

// ------------------------------------------------------------------ roots

std::unique_ptr<RunScope> Engine::run(const TaskDef& def, std::string params_json) {
  std::unique_ptr<RunScope> scope = open_scope();
  start_root(*scope, def, std::move(params_json));
  wait(*scope);
  return scope;
}

std::unique_ptr<RunScope> Engine::open_scope() {
  auto scope = std::make_unique<RunScope>(*this);
  track(scope.get(), true);
  return scope;
}

void Engine::start_root(RunScope& scope, const TaskDef& def, std::string params_json) {
  // This thread serves the engine: the sequential runner may run the whole flow right here.
  const ContextScope context(*this);
  RunRef root = create(scope, def, 0, std::move(params_json), def.is_flow);
  if (store_ != nullptr) record_flow_run_start(scope, *root);
  start(*root, {});
}

void Engine::wait(RunScope& scope) {
  // This thread serves the engine while it waits: the sequential runner runs work here.
  const ContextScope context(*this);
  scope.wait_idle(context_blocker());
  scope.stop_retiring();  // every run is terminal: what is held now stays for the report
  // Every record of the flow run is durable by its end (docs/store.md).
  if (store_ != nullptr) store_->flush();
  track(&scope, false);
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
  // of the run carries it; with futures it waits for their results (prepare_inputs), and a
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
  enter(*run, StateId::Pending);
  return run;
}

RunRef Engine::submit(const Run& parent, const TaskDef& task, std::string params,
                      const std::vector<DependencySpec>& deps, Transaction* transaction) {
  // An attempt the engine took over (its timeout, or the host ending) may still be running
  // after its run ended, and its scope may be gone: it submits nothing more.
  if (parent.done()) {
    throw SubmitError("task '" + task.name + "' cannot be submitted: the submitting run '" + parent.name() +
                      "' already ended (its attempt was abandoned)");
  }
  RunScope& scope = *parent.scope();
  if (parent.nesting_depth() >= kMaxNestingDepth) {
    throw SubmitError("task '" + task.name + "' would be nested " + std::to_string(parent.nesting_depth() + 1) +
                      " runs deep; runs nest at most " + std::to_string(kMaxNestingDepth) + " deep");
  }
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
  if (scope.needs_room() && runner_.concurrency() > 1) scope.wait_for_room(context_blocker());
  RunRef run = create(scope, task, parent.id(), std::move(params), false);
  run->set_nesting_depth(static_cast<std::uint16_t>(parent.nesting_depth() + 1));
  run->set_params_have_futures(has_futures);
  if (transaction != nullptr) run->set_transaction(TransactionRef(transaction));
  start(*run, std::move(upstreams));
  return run;
}

void Engine::start(Run& run, std::vector<Upstream> upstreams) {
  run.upstreams() = std::move(upstreams);
  drive(run, Where::elsewhere());
}

// ------------------------------------------------------------------ interrupt

void Engine::interrupt(std::string_view why) {
  if (interrupted_.exchange(true, std::memory_order_acq_rel)) return;
  const ContextScope context(*this);
  spdlog::warn("{}: no new task runs will start; running ones are asked to stop", why);
  for (Run* waiting : limits_.drain_waiters()) {
    cancel_for_interrupt(*waiting);
    drive(*waiting, Where::elsewhere());
  }
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
    if (run->done()) continue;
    // Queued and not started: it ends here rather than when a worker gets to it, so a
    // million queued runs do not keep the host going after the interrupt.
    if (run->claim_queued()) {
      cancel_for_interrupt(*run);
      drive(*run, Where::elsewhere());
      continue;
    }
    bool cancel_retry = false;
    {
      std::lock_guard<SpinLock> lock(run->lock());
      if (run->done()) continue;
      if (run->phase() == Phase::AwaitingRetry && run->attempt().timer_id != 0) {
        cancel_retry = timers_.cancel(run->attempt().timer_id);
        if (cancel_retry) run->attempt().timer_id = 0;
      }
    }
    if (cancel_retry) {
      run->release();  // the reference the retry timer held
      cancel_for_interrupt(*run);
      drive(*run, Where::elsewhere());
    } else {
      stop_attempt(*run, StopReason::Cancelled);
    }
  }
}

void Engine::cancel_for_interrupt(Run& run) {
  end_run(run, StateId::Cancelled,
          run.started() ? "The host was interrupted before the retry started."
                        : "The run never started: the host was interrupted.");
}

void Engine::stop_attempt(Run& run, StopReason reason) {
  std::lock_guard<SpinLock> lock(run.lock());
  AttemptState& attempt = run.attempt();
  if (!attempt.active) return;
  attempt.stop.store(static_cast<std::uint8_t>(reason), std::memory_order_release);
  if (attempt.wait_token != nullptr) runner_.set(attempt.wait_token);
}

// ------------------------------------------------------------------ lookups

RunRef Engine::find_run(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(scopes_mutex_);
  for (RunScope* scope : scopes_) {
    if (Run* run = scope->find(id)) return RunRef(run);
  }
  return RunRef();
}

std::optional<FinalState> Engine::final_state_of(std::uint64_t id) {
  RunRef run = find_run(id);
  if (!run || !run->done()) return std::nullopt;
  // A terminal run never changes again, so it can be read without its lock.
  FinalState state;
  state.run_id = run->id();
  state.flow_run_id = run->flow_run_id();
  state.task_name = run->task().name;
  state.run_name = run->name();
  state.state = run->state();
  state.message = std::string(run->message(run->current()));
  state.run_count = run->run_count();
  state.time_us = run->current().time_us;
  return state;
}

void Engine::on_done(Run& run, DoneFn fn, void* arg) {
  bool now;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    now = !run.add_done_callback(fn, arg);
  }
  if (now) fn(arg, &run);
}

LogFields log_fields_of(const Run& run) {
  return LogFields{run.id(), run.flow_run_id(), run.name(), run.task().name, run.run_count()};
}

void Engine::log_for(const Run& run, std::uint32_t level, std::string_view message) const {
  const auto lvl = static_cast<spdlog::level::level_enum>(std::min<std::uint32_t>(level, RH_LOG_CRITICAL));
  const LogFields fields = log_fields_of(run);
  const ScopedLogFields about(fields);  // the formatters name the run
  spdlog::log(lvl, "{}", message);
}

}  // namespace rh::host
