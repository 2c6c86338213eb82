// The rh_host_api table every plugin receives: C entry points that translate handles into
// host objects and C++ exceptions into status codes. Nothing here may throw. A function
// reaches its session through the handle it is given (a ctx, a run); the few that take
// none serve the session whose code runs on the calling thread (engine/execution_context).
#include "plugins/host_api.hpp"

#include "base/clock.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "engine/wait_set.hpp"
#include "events/waiter_registry.hpp"
#include "plugins/extensions.hpp"
#include "plugins/transaction_api.hpp"
#include "runtime/host_event.hpp"
#include "runtime/timer_service.hpp"

#include <runner_host/abi_text.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

namespace rh::host {
namespace {

AttemptContext* attempt_of(rh_context* ctx) { return reinterpret_cast<AttemptContext*>(ctx); }
Run* run_of(rh_run* run) { return reinterpret_cast<Run*>(run); }
rh_run* handle_of(Run* run) { return reinterpret_cast<rh_run*>(run); }
TaskRunWaiter& waiter_of(rh_waiter* w) { return *reinterpret_cast<TaskRunWaiter*>(w); }

void report(rh_error_sink* err, std::string_view type, std::string_view message) {
  if (err != nullptr) err->set(err, to_rh_str(type), to_rh_str(message));
}

spdlog::level::level_enum level_of(std::uint32_t level) {
  return static_cast<spdlog::level::level_enum>(level > RH_LOG_CRITICAL ? RH_LOG_CRITICAL : level);
}

// The engine whose code runs on this thread, or nullptr on a thread of no session.
Engine* calling_engine() { return current_context().engine; }

// --- memory, logging, clock

void* api_alloc(size_t size) { return std::malloc(size == 0 ? 1 : size); }
void api_free(void* ptr) { std::free(ptr); }

void api_log(uint32_t level, rh_str logger, rh_str message) {
  // No logger name: a line about the run the engine set as current (a hook's RunInfo::log),
  // which the formatters name already.
  if (logger.size == 0) {
    spdlog::log(level_of(level), "{}", to_string_view(message));
  } else {
    spdlog::log(level_of(level), "{}: {}", to_string_view(logger), to_string_view(message));
  }
}

rh_time_ns api_now_ns() { return monotonic_ns(); }

// --- the running call

void api_ctx_log(rh_context* ctx, uint32_t level, rh_str message) {
  const Run& run = *attempt_of(ctx)->run;
  run.engine().log_for(run, level, to_string_view(message));
}

int32_t api_ctx_sleep(rh_context* ctx, rh_time_ns duration_ns) {
  AttemptContext& attempt = *attempt_of(ctx);
  return attempt.run->engine().sleep(attempt, duration_ns < 0 ? 0 : duration_ns);
}

void api_ctx_yield(rh_context* ctx) { attempt_of(ctx)->run->engine().yield(); }

int32_t api_ctx_status(rh_context* ctx) {
  const AttemptContext& attempt = *attempt_of(ctx);
  return attempt.run->engine().attempt_status(attempt);
}

rh_time_ns api_ctx_deadline(rh_context* ctx) {
  return attempt_of(ctx)->run->attempt().deadline.load(std::memory_order_acquire);
}

void api_ctx_set_result(rh_context* ctx, rh_str result_json) {
  attempt_of(ctx)->result.assign(to_string_view(result_json));
}

void api_ctx_set_error(rh_context* ctx, rh_str type, rh_str message) {
  AttemptContext& attempt = *attempt_of(ctx);
  attempt.error_type.assign(to_string_view(type));
  attempt.error_message.assign(to_string_view(message));
  attempt.has_error = true;
}

// --- task runs

int32_t api_submit(rh_context* ctx, const rh_submit_request* request, rh_run** out, rh_error_sink* err) {
  try {
    if (ctx == nullptr || request == nullptr || out == nullptr) {
      report(err, "rh::UsageError", "submit needs a context, a request and an output handle");
      return RH_ERROR;
    }
    Run& parent = *attempt_of(ctx)->run;
    Engine& engine = parent.engine();
    // An interrupted host creates nothing more: a flow looping over a million submissions
    // stops at its next one instead of making a million cancelled runs first.
    if (engine.interrupted() && engine.attempt_status(*attempt_of(ctx)) == RH_CANCELLED) {
      report(err, "rh::CancelledError", "the host was interrupted: no new task runs are submitted");
      return RH_CANCELLED;
    }
    const std::string_view name = to_string_view(request->task_name);
    const TaskDef* task = engine.registry().find(name);
    if (task == nullptr || task->is_flow) {
      report(err, "rh::UsageError",
             "unknown task '" + std::string(name) + "'" + (task != nullptr ? " (it is a flow)" : ""));
      return RH_ERROR;
    }
    const std::string_view params = to_string_view(request->params_json);
    const auto first = params.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && params[first] != '{') {
      report(err, "rh::UsageError", "parameters of '" + std::string(name) + "' must be a JSON object");
      return RH_ERROR;
    }
    std::vector<DependencySpec> deps;
    deps.reserve(request->wait_for_count);
    for (size_t i = 0; i < request->wait_for_count; ++i) {
      const rh_dependency& dep = request->wait_for[i];
      deps.push_back(DependencySpec{run_of(dep.run), (dep.flags & RH_DEP_ALLOW_FAILURE) != 0});
    }
    const std::string params_text = params == "{}" ? std::string() : std::string(params);
    RunRef run = engine.submit(parent, *task, params_text, deps, attempt_of(ctx)->transaction);
    *out = handle_of(run.detach());
    return RH_OK;
  } catch (const std::exception& e) {
    report(err, "rh::UsageError", e.what());
    return RH_ERROR;
  }
}

void api_run_retain(rh_run* run) { run_of(run)->retain(); }
void api_run_release(rh_run* run) { run_of(run)->release(); }
uint64_t api_run_id(rh_run* run) { return run_of(run)->id(); }

int32_t api_run_wait(rh_run* run, rh_time_ns deadline, rh_error_sink* err) {
  try {
    Run& target = *run_of(run);
    std::string error;
    const int32_t status = target.engine().wait_run(target, deadline, &error);
    if (status == RH_ERROR) report(err, "rh::UsageError", error);
    return status;
  } catch (const std::exception& e) {
    report(err, "rh::HostError", e.what());
    return RH_ERROR;
  }
}

void api_run_snapshot(rh_run* run, rh_run_visitor visitor, void* user_data) {
  const Run& target = *run_of(run);
  std::lock_guard<SpinLock> lock(target.lock());
  const rh_run_view snapshot = make_run_view(target);
  visitor(user_data, &snapshot);
}

struct DoneAdapter {
  rh_done_callback fn;
  void* user_data;
  static void call(void* arg, Run* run) {
    std::unique_ptr<DoneAdapter> self(static_cast<DoneAdapter*>(arg));
    self->fn(self->user_data, handle_of(run));
  }
};

void api_run_on_done(rh_run* run, rh_done_callback callback, void* user_data) {
  Run& target = *run_of(run);
  target.engine().on_done(target, &DoneAdapter::call, new DoneAdapter{callback, user_data});
}

// --- wait sets

rh_waitset* api_waitset_create() { return reinterpret_cast<rh_waitset*>(new WaitSet); }
void api_waitset_add(rh_waitset* set, rh_run* run) { reinterpret_cast<WaitSet*>(set)->add(*run_of(run)); }
int32_t api_waitset_next(rh_waitset* set, rh_time_ns deadline, rh_run** out) {
  Run* run = nullptr;
  const int32_t status = reinterpret_cast<WaitSet*>(set)->next(context_blocker(), deadline, &run);
  if (status == RH_OK) *out = handle_of(run);
  return status;
}
void api_waitset_destroy(rh_waitset* set) { delete reinterpret_cast<WaitSet*>(set); }

// --- events

rh_event* api_event_create() { return reinterpret_cast<rh_event*>(new HostEvent); }
void api_event_set(rh_event* event) { reinterpret_cast<HostEvent*>(event)->set(); }
bool api_event_is_set(rh_event* event) { return reinterpret_cast<HostEvent*>(event)->is_set(); }
int32_t api_event_wait(rh_event* event, rh_time_ns deadline) {
  return reinterpret_cast<HostEvent*>(event)->wait(context_blocker(), deadline);
}
void api_event_destroy(rh_event* event) { delete reinterpret_cast<HostEvent*>(event); }

// --- timers of ABI 1.0, for runners without rh_runner_host: the session that is calling
// into that runner, else the session whose code runs here.

TimerService* calling_timers() {
  if (TimerService* timers = legacy_runner_timers()) return timers;
  Engine* engine = calling_engine();
  return engine != nullptr ? &engine->timers() : nullptr;
}

uint64_t api_timer_schedule(rh_time_ns deadline, rh_timer_callback callback, void* user_data) {
  TimerService* timers = calling_timers();
  if (timers == nullptr) {
    spdlog::error("a plugin scheduled a timer on a thread no host session runs on; it will not fire");
    return 0;
  }
  return timers->schedule(deadline, callback, user_data);
}

bool api_timer_cancel(uint64_t timer_id) {
  TimerService* timers = calling_timers();
  return timers != nullptr && timer_id != 0 && timers->cancel(timer_id);
}

// --- TaskRunWaiter. A handle is the waiter's address, so the same waiter always has the
// same handle; each handle out keeps the waiter alive (TaskRunWaiter::acquire_handle).

rh_waiter* handle_for(const std::shared_ptr<TaskRunWaiter>& waiter) {
  waiter->acquire_handle();
  return reinterpret_cast<rh_waiter*>(waiter.get());
}

rh_waiter* api_waiter_instance() {
  Engine* engine = calling_engine();
  return engine == nullptr ? nullptr : handle_for(engine->waiters().instance());
}

rh_waiter* api_waiter_create(uint64_t max_entries, double ttl_seconds) {
  Engine* engine = calling_engine();
  if (engine == nullptr) return nullptr;
  WaiterOptions options;
  if (max_entries > 0) options.max_entries = max_entries;
  if (ttl_seconds > 0) options.ttl_seconds = ttl_seconds;
  return handle_for(engine->waiters().create(options));
}

void api_waiter_release(rh_waiter* waiter) { waiter_of(waiter).release_handle(); }
void api_waiter_stop(rh_waiter* waiter) { waiter_of(waiter).stop(); }

int32_t api_waiter_wait(rh_waiter* waiter, uint64_t run_id, rh_time_ns deadline, rh_run_visitor visitor,
                        void* user_data, rh_error_sink* err) {
  try {
    FinalState state;
    std::string error;
    const int32_t status = waiter_of(waiter).wait_for_task_run(run_id, deadline, &state, &error);
    if (status == RH_ERROR) report(err, "rh::UsageError", error);
    if (status != RH_OK || visitor == nullptr) return status;
    const StateInfo& info = state_info(state.state);
    rh_run_view view{};
    view.struct_size = sizeof(rh_run_view);
    view.run_id = state.run_id;
    view.flow_run_id = state.flow_run_id;
    view.task_name = to_rh_str(state.task_name);
    view.run_name = to_rh_str(state.run_name);
    view.state_type = info.type;
    view.run_count = state.run_count;
    view.state_name = to_rh_str(info.name);
    view.state_message = to_rh_str(state.message);
    view.is_final = true;
    visitor(user_data, &view);
    return RH_OK;
  } catch (const std::exception& e) {
    report(err, "rh::HostError", e.what());
    return RH_ERROR;
  }
}

void api_waiter_add_done_callback(rh_waiter* waiter, uint64_t run_id, rh_waiter_callback callback, void* user_data) {
  waiter_of(waiter).add_done_callback(run_id, [callback, user_data](std::uint64_t id) { callback(user_data, id); });
}

// --- extensions

const void* api_get_extension(rh_str id) { return host_extension(to_string_view(id)); }

const rh_host_api kHostApi = {
    sizeof(rh_host_api),
    RH_ABI_VERSION_MAJOR,
    RH_ABI_VERSION_MINOR,
    api_alloc,
    api_free,
    api_log,
    api_now_ns,
    api_ctx_log,
    api_ctx_sleep,
    api_ctx_yield,
    api_ctx_status,
    api_ctx_deadline,
    api_ctx_set_result,
    api_ctx_set_error,
    api_submit,
    api_run_retain,
    api_run_release,
    api_run_id,
    api_run_wait,
    api_run_snapshot,
    api_run_on_done,
    api_waitset_create,
    api_waitset_add,
    api_waitset_next,
    api_waitset_destroy,
    api_event_create,
    api_event_set,
    api_event_is_set,
    api_event_wait,
    api_event_destroy,
    api_timer_schedule,
    api_timer_cancel,
    api_waiter_instance,
    api_waiter_create,
    api_waiter_release,
    api_waiter_stop,
    api_waiter_wait,
    api_waiter_add_done_callback,
    api_get_extension,
    api_txn_begin,
    api_txn_commit,
    api_txn_rollback,
    api_txn_close,
    api_txn_state,
    api_txn_is_committed,
    api_txn_set,
    api_txn_get,
};

}  // namespace

const rh_host_api* host_api() noexcept { return &kHostApi; }

}  // namespace rh::host
