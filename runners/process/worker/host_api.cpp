// The rh_host_api a worker offers the task libraries it loads: the same table the host
// offers, with each call that needs the engine made as a Call message (worker.hpp) and the
// rest answered here. What a single-threaded worker cannot do the host's way is said at the
// function (docs/worker-protocol.md, "In a worker").
#include "worker.hpp"

#include <sched.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>

namespace rh::process_worker {
namespace {

using worker_protocol::HandleKind;
using worker_protocol::Op;

std::string_view text(rh_str s) { return std::string_view(s.data == nullptr ? "" : s.data, s.size); }

void report(rh_error_sink* err, std::string_view type, std::string_view message) {
  if (err != nullptr && err->set != nullptr) {
    err->set(err, rh_str{type.data(), type.size()}, rh_str{message.data(), message.size()});
  }
}

Attempt& attempt_of(rh_context* ctx) { return *reinterpret_cast<Attempt*>(ctx); }

// A run the task holds: the host keeps the real one under `handle` for this worker.
struct RemoteRun {
  std::uint64_t handle;
  std::uint64_t id;
  int refs;
};
RemoteRun& run_of(rh_run* run) { return *reinterpret_cast<RemoteRun*>(run); }
rh_run* new_run(std::uint64_t handle, std::uint64_t id) {
  return reinterpret_cast<rh_run*>(new RemoteRun{handle, id, 1});
}

// A wait set keeps its runs, as the host's does, and hands back the very handles the task
// added (the SDK finds its futures by them).
struct RemoteWaitset {
  std::uint64_t handle;
  std::unordered_map<std::uint64_t, rh_run*> members;  // by run id
};

// The session's waiter as seen from a worker: one, for waiting on runs by id.
struct LocalWaiter {};
LocalWaiter g_waiter;

// Set-once events of one thread: only the task itself can set one, so a wait for one that
// is not set lasts until its deadline (a sleep the host ends early on a timeout or a stop).
struct LocalEvent {
  bool set = false;
};

void* api_alloc(size_t size) { return std::malloc(size); }
void api_free(void* ptr) { std::free(ptr); }

void api_log(uint32_t level, rh_str logger, rh_str message) {
  the_worker().log(level, false, text(logger), text(message));
}

rh_time_ns api_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<rh_time_ns>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void api_ctx_log(rh_context*, uint32_t level, rh_str message) { the_worker().log(level, true, {}, text(message)); }

int32_t api_ctx_sleep(rh_context*, rh_time_ns duration_ns) {
  return the_worker().call(Op::Sleep, [&](wire::Writer& out) { out.i64(duration_ns < 0 ? 0 : duration_ns); }).status;
}

void api_ctx_yield(rh_context*) { sched_yield(); }

int32_t api_ctx_status(rh_context* ctx) { return the_worker().status(attempt_of(ctx)); }

rh_time_ns api_ctx_deadline(rh_context* ctx) { return attempt_of(ctx).deadline; }

void api_ctx_set_result(rh_context* ctx, rh_str result_json) {
  Attempt& attempt = attempt_of(ctx);
  attempt.result.assign(text(result_json));
  attempt.has_result = true;
}

void api_ctx_set_error(rh_context* ctx, rh_str type, rh_str message) {
  Attempt& attempt = attempt_of(ctx);
  attempt.error_type.assign(text(type));
  attempt.error_message.assign(text(message));
  attempt.has_error = true;
}

int32_t api_submit(rh_context*, const rh_submit_request* request, rh_run** out, rh_error_sink* err) {
  const Worker::Answer answer = the_worker().call(Op::Submit, [&](wire::Writer& w) {
    w.str(text(request->task_name)).str(text(request->params_json));
    w.u32(static_cast<std::uint32_t>(request->wait_for_count));
    for (size_t i = 0; i < request->wait_for_count; ++i) {
      w.u32(request->wait_for[i].flags).u64(run_of(request->wait_for[i].run).handle);
    }
  });
  wire::Reader in = answer.rest();
  const std::uint64_t handle = in.u64();
  const std::uint64_t id = in.u64();
  const std::string_view error = in.str();
  if (answer.status != RH_OK) {
    report(err, "rh::SubmitError", error);
    return answer.status;
  }
  *out = new_run(handle, id);
  return RH_OK;
}

void api_run_retain(rh_run* run) { ++run_of(run).refs; }

void api_run_release(rh_run* run) {
  RemoteRun& remote = run_of(run);
  if (--remote.refs > 0) return;
  the_worker().release(HandleKind::Run, remote.handle);
  delete &remote;
}

uint64_t api_run_id(rh_run* run) { return run_of(run).id; }

int32_t api_run_wait(rh_run* run, rh_time_ns deadline, rh_error_sink* err) {
  const Worker::Answer answer =
      the_worker().call(Op::RunWait, [&](wire::Writer& w) { w.u64(run_of(run).handle).i64(deadline); });
  wire::Reader in = answer.rest();
  const std::string_view error = in.str();
  if (answer.status == RH_ERROR) report(err, "rh::UsageError", error);
  return answer.status;
}

void api_run_snapshot(rh_run* run, rh_run_visitor visitor, void* user_data) {
  const Worker::Answer answer = the_worker().call(Op::RunSnapshot, [&](wire::Writer& w) { w.u64(run_of(run).handle); });
  wire::Reader in = answer.rest();
  const worker_protocol::RunView view = worker_protocol::read_view(in);
  const rh_run_view raw = view.view();
  visitor(user_data, &raw);
}

bool run_is_final(rh_run* run) {
  bool final = false;
  api_run_snapshot(
      run, [](void* flag, const rh_run_view* view) { *static_cast<bool*>(flag) = view->is_final; }, &final);
  return final;
}

// No thread of this worker is free to run a callback later: it runs now if the run ended,
// else once it did, at the latest when the registering attempt returns (worker.cpp).
void api_run_on_done(rh_run* run, rh_done_callback callback, void* user_data) {
  api_run_retain(run);
  const auto call = [run, callback, user_data] {
    callback(user_data, run);
    api_run_release(run);
  };
  Attempt* attempt = the_worker().innermost();
  if (attempt == nullptr || run_is_final(run)) {
    if (attempt != nullptr) {
      call();
      return;
    }
    // Outside an attempt (a library's load code) there is nothing to wait in.
    api_run_wait(run, RH_DEADLINE_NONE, nullptr);
    call();
    return;
  }
  attempt->callbacks.push_back(PendingCallback{call, [run] { return run_is_final(run); },
                                               [run] { api_run_wait(run, RH_DEADLINE_NONE, nullptr); }});
}

rh_waitset* api_waitset_create() {
  const Worker::Answer answer = the_worker().call(Op::WaitsetCreate, [](wire::Writer&) {});
  wire::Reader in = answer.rest();
  return reinterpret_cast<rh_waitset*>(new RemoteWaitset{in.u64(), {}});
}

void api_waitset_add(rh_waitset* set, rh_run* run) {
  auto* remote = reinterpret_cast<RemoteWaitset*>(set);
  if (!remote->members.emplace(run_of(run).id, run).second) return;  // the host's ignores a second add too
  api_run_retain(run);
  the_worker().call(Op::WaitsetAdd, [&](wire::Writer& w) { w.u64(remote->handle).u64(run_of(run).handle); });
}

int32_t api_waitset_next(rh_waitset* set, rh_time_ns deadline, rh_run** out) {
  auto* remote = reinterpret_cast<RemoteWaitset*>(set);
  const Worker::Answer answer =
      the_worker().call(Op::WaitsetNext, [&](wire::Writer& w) { w.u64(remote->handle).i64(deadline); });
  wire::Reader in = answer.rest();
  const std::uint64_t id = in.u64();
  if (answer.status != RH_OK) return answer.status;
  const auto it = remote->members.find(id);
  if (it == remote->members.end()) host_gone("the host named a run that is not in the wait set");
  *out = it->second;
  return RH_OK;
}

void api_waitset_destroy(rh_waitset* set) {
  auto* remote = reinterpret_cast<RemoteWaitset*>(set);
  the_worker().release(HandleKind::Waitset, remote->handle);
  for (const auto& member : remote->members) api_run_release(member.second);
  delete remote;
}

rh_event* api_event_create() { return reinterpret_cast<rh_event*>(new LocalEvent); }
void api_event_set(rh_event* event) { reinterpret_cast<LocalEvent*>(event)->set = true; }
bool api_event_is_set(rh_event* event) { return reinterpret_cast<LocalEvent*>(event)->set; }
void api_event_destroy(rh_event* event) { delete reinterpret_cast<LocalEvent*>(event); }

int32_t api_event_wait(rh_event* event, rh_time_ns deadline) {
  if (api_event_is_set(event)) return RH_OK;
  // Nothing else in this process can set it: without a deadline the wait could never end.
  if (deadline == RH_DEADLINE_NONE || the_worker().innermost() == nullptr) return RH_ERROR;
  const std::int32_t status = api_ctx_sleep(nullptr, deadline - api_now_ns());
  return status == RH_OK ? RH_TIMEOUT : status;
}

// Timer callbacks would need a thread of their own: in a worker there is no session timer.
uint64_t api_timer_schedule(rh_time_ns, rh_timer_callback, void*) { return 0; }
bool api_timer_cancel(uint64_t) { return false; }

rh_waiter* api_waiter_instance() { return reinterpret_cast<rh_waiter*>(&g_waiter); }
// Private waiters need the session's event stream in this process; there is none.
rh_waiter* api_waiter_create(uint64_t, double) { return nullptr; }
void api_waiter_release(rh_waiter*) {}
void api_waiter_stop(rh_waiter*) {}

int32_t api_waiter_wait(rh_waiter*, uint64_t run_id, rh_time_ns deadline, rh_run_visitor visitor, void* user_data,
                        rh_error_sink* err) {
  const Worker::Answer answer =
      the_worker().call(Op::WaiterWait, [&](wire::Writer& w) { w.u64(run_id).i64(deadline); });
  wire::Reader in = answer.rest();
  const std::string_view error = in.str();
  if (in.boolean()) {
    const worker_protocol::RunView view = worker_protocol::read_view(in);
    const rh_run_view raw = view.view();
    if (visitor != nullptr) visitor(user_data, &raw);
  }
  if (answer.status == RH_ERROR) report(err, "rh::UsageError", error);
  return answer.status;
}

// As run_on_done: now if the run ended, else when it did, by the end of the attempt.
void api_waiter_add_done_callback(rh_waiter* waiter, uint64_t run_id, rh_waiter_callback callback, void* user_data) {
  const auto wait = [waiter, run_id](rh_time_ns deadline) {
    return api_waiter_wait(waiter, run_id, deadline, nullptr, nullptr, nullptr);
  };
  Attempt* attempt = the_worker().innermost();
  if (attempt == nullptr || wait(0) == RH_OK) {
    if (attempt == nullptr) wait(RH_DEADLINE_NONE);
    callback(user_data, run_id);
    return;
  }
  attempt->callbacks.push_back(PendingCallback{[callback, user_data, run_id] { callback(user_data, run_id); },
                                               [wait] { return wait(0) == RH_OK; },
                                               [wait] { wait(RH_DEADLINE_NONE); }});
}

rh_host_info g_host_info{sizeof(rh_host_info), {}, {}};

const void* api_get_extension(rh_str id) {
  if (text(id) != RH_EXT_HOST_INFO) return nullptr;
  g_host_info.name = rh_str{the_worker().host_name().data(), the_worker().host_name().size()};
  g_host_info.version = rh_str{the_worker().host_version().data(), the_worker().host_version().size()};
  return &g_host_info;
}

// Transactions stage the run's records in the host's engine, which a worker cannot reach
// yet: a task that opens one is told so (the SDK throws rh::UsageError with this message).
int32_t api_txn_begin(rh_context*, const rh_txn_options*, rh_txn**, rh_error_sink* err) {
  report(err, "rh::UsageError", "transactions are not available to tasks in a process worker");
  return RH_ERROR;
}
uint32_t api_txn_state(rh_txn*) { return 0; }
void api_txn_close(rh_txn*, uint32_t) {}
bool api_txn_is_committed(rh_txn*) { return false; }
int32_t api_txn_set(rh_txn*, rh_str, rh_str, rh_error_sink* err) {
  return api_txn_begin(nullptr, nullptr, nullptr, err);
}
int32_t api_txn_get(rh_txn*, rh_str, rh_text_sink*) { return RH_ERROR; }

const rh_host_api kTable = {
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
    api_txn_state,
    api_txn_state,
    api_txn_close,
    api_txn_state,
    api_txn_is_committed,
    api_txn_set,
    api_txn_get,
};

}  // namespace

const rh_host_api* worker_host_api() { return &kTable; }

}  // namespace rh::process_worker
