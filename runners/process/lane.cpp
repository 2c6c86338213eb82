#include "lane.hpp"

#include "worker_messages.hpp"

#include <runner_host/abi_text.hpp>
#include <runner_host/detail/host.hpp>

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rh::process_runner {
namespace {

using worker_protocol::Op;
using worker_protocol::Type;

// How often an executing attempt's lane looks whether the host wants it stopped (Ctrl-C):
// the engine has no way to wake a thread that is waiting on a socket.
constexpr int kStopCheckMs = 20;

rh_time_ns now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<rh_time_ns>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

rh_time_ns seconds_ns(double seconds) { return static_cast<rh_time_ns>(std::llround(seconds * 1e9)); }

rh_time_ns add_saturating(rh_time_ns a, rh_time_ns b) { return a > RH_DEADLINE_NONE - b ? RH_DEADLINE_NONE : a + b; }

std::string seconds_text(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text + " s";
}

// A worker said something it may not: it is killed, and its attempt ends Crashed.
class Violation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void set_error(rh_context* ctx, std::string_view type, std::string_view message) {
  detail::host().ctx_set_error(ctx, to_rh_str(type), to_rh_str(message));
}

}  // namespace

struct Lane::Frame {
  const rh_remote_attempt& attempt;
  std::uint64_t id;
  bool stop_sent = false;
  rh_time_ns stop_sent_at = 0;
  bool done = false;
  std::int32_t code = RH_TASK_FAILED;
  rh_context* ctx() const { return attempt.call->ctx; }
};

Lane::Lane(std::uint32_t index, const LaneSettings& settings, LaneLog log, void* log_user_data)
    : index_(index), settings_(settings), log_(log), log_user_data_(log_user_data) {}

Lane::~Lane() { kill(); }

void Lane::spawn_worker() {
  worker_ = std::make_unique<WorkerProcess>(settings_.program, index_);
  ++spawned_;
  tasks_on_worker_ = 0;
  lost_.clear();
  wire::Writer init;
  init.u8(static_cast<std::uint8_t>(Type::Init)).u32(worker_protocol::kVersion);
  init.str("runner-host").str(settings_.host_version).u64(settings_.max_memory_mb);
  init.u32(static_cast<std::uint32_t>(settings_.libraries.size()));
  for (const std::string& library : settings_.libraries) init.str(library);
  worker_->send(init.finish());  // a worker that died already is found out by await_ready
}

void Lane::await_ready() {
  const auto log_line = [this](std::string_view line, bool from_stderr) {
    log_(log_user_data_, from_stderr ? RH_LOG_WARN : RH_LOG_INFO,
         worker_->name() + (from_stderr ? " stderr: " : " stdout: ") + std::string(line));
  };
  const rh_time_ns give_up = add_saturating(now_ns(), seconds_ns(settings_.start_timeout_seconds));
  bool closed = false;
  for (;;) {
    std::string payload;
    try {
      while (worker_->next_message(&payload)) {
        wire::Reader in(payload);
        const auto type = static_cast<Type>(in.u8());
        if (type == Type::Ready) {
          if (in.u32() != worker_protocol::kVersion) throw Violation("speaks another version of the worker protocol");
          return;
        }
        if (type == Type::LoadFailed) {
          const std::string message(in.str());
          worker_->drain_output(log_line);
          worker_->end(settings_.kill_grace_seconds);
          throw std::runtime_error(message);
        }
        if (type != Type::Log)
          throw Violation("sent a " + std::string(worker_protocol::type_name(payload[0])) +
                          " message before it was ready");
        const std::uint32_t level = in.u32();
        in.boolean();
        in.str();
        log_(log_user_data_, std::min<std::uint32_t>(level, RH_LOG_CRITICAL),
             worker_->name() + ": " + std::string(in.str()));
      }
    } catch (const wire::WireError& e) {
      const std::string name = worker_->name();
      worker_->kill_now();
      throw std::runtime_error(name + " sent a malformed message before it was ready (" + e.what() + ")");
    } catch (const Violation& e) {
      const std::string name = worker_->name();
      worker_->kill_now();
      throw std::runtime_error(name + " " + e.what());
    }
    if (closed) {
      worker_->drain_output(log_line);
      const std::string name = worker_->name();
      throw std::runtime_error(name + " " + worker_->end(settings_.kill_grace_seconds) + " before it was ready");
    }
    const rh_time_ns now = now_ns();
    if (now >= give_up) {
      const std::string name = worker_->name();
      worker_->kill_now();
      throw std::runtime_error(name + " did not load its task libraries within " +
                               seconds_text(settings_.start_timeout_seconds));
    }
    pollfd fds[3] = {
        {worker_->socket_fd(), POLLIN, 0}, {worker_->stdout_fd(), POLLIN, 0}, {worker_->stderr_fd(), POLLIN, 0}};
    const int wait_ms = static_cast<int>(std::min<rh_time_ns>((give_up - now) / 1000000 + 1, 1000));
    if (poll(fds, 3, wait_ms) < 0) continue;  // EINTR
    worker_->drain_output(log_line);
    // At its end, what it sent before (a LoadFailed) is read first.
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !worker_->read_socket()) closed = true;
  }
}

std::int32_t Lane::execute(const rh_remote_attempt& attempt) {
  rh_context* ctx = attempt.call->ctx;
  if (!lost_.empty()) {  // an attempt this one is nested in lost the process
    set_error(ctx, "rh::WorkerLost", lost_ + " while this attempt ran on it");
    return RH_TASK_WORKER_LOST;
  }
  if (worker_ == nullptr) {
    try {
      spawn_worker();
      await_ready();
    } catch (const std::exception& e) {
      worker_.reset();
      set_error(ctx, "rh::WorkerLost", std::string("no worker process could be started: ") + e.what());
      return RH_TASK_WORKER_LOST;
    }
  }
  Frame frame{attempt, next_attempt_++};
  ++tasks_on_worker_;
  frames_.push_back(&frame);
  std::int32_t code;
  try {
    code = serve(frame);
  } catch (const std::exception& e) {  // nothing may cross the C boundary above
    lose_worker(std::string("failed in the runner: ") + e.what());
    set_error(ctx, "rh::WorkerLost", lost_ + " while this attempt ran on it");
    code = RH_TASK_WORKER_LOST;
  }
  frames_.pop_back();
  if (frames_.empty()) after_outermost();
  return code;
}

std::int32_t Lane::serve(Frame& frame) {
  const rh_task_call& call = *frame.attempt.call;
  const auto lost = [&] {
    set_error(frame.ctx(), "rh::WorkerLost", lost_ + " while this attempt ran on it");
    return RH_TASK_WORKER_LOST;
  };
  wire::Writer run;
  run.u8(static_cast<std::uint8_t>(Type::Run)).u64(frame.id).u64(call.run_id).u64(call.flow_run_id).u32(call.run_count);
  run.str(to_string_view(frame.attempt.library_path)).str(to_string_view(call.task_name));
  run.str(to_string_view(call.run_name)).str(to_string_view(call.params_json)).i64(frame.attempt.deadline);
  worker_->send(run.finish());  // if it is gone, the socket says so below

  const rh_time_ns grace = seconds_ns(settings_.kill_grace_seconds);
  const auto output = [this](std::string_view line, bool from_stderr) { log_output(line, from_stderr); };
  for (;;) {
    std::string payload;
    try {
      while (lost_.empty() && worker_->next_message(&payload)) {
        handle(frame, payload);
        if (frame.done) return frame.code;
      }
    } catch (const wire::WireError& e) {
      lose_worker(std::string("sent a malformed message (") + e.what() + ")");
    } catch (const Violation& e) {
      lose_worker(e.what());
    }
    if (!lost_.empty()) return lost();

    // Past its deadline or its stop by the grace period, the attempt's process is killed:
    // a task stuck in a C loop cannot hold this lane forever.
    const rh_time_ns now = now_ns();
    rh_time_ns kill_at = add_saturating(frame.attempt.deadline, grace);
    if (frame.stop_sent) kill_at = std::min(kill_at, add_saturating(frame.stop_sent_at, grace));
    if (now >= kill_at) {
      const bool timed_out = frame.attempt.deadline != RH_DEADLINE_NONE && now >= frame.attempt.deadline;
      const std::string why = std::string("did not stop within kill_grace_seconds (") +
                              seconds_text(settings_.kill_grace_seconds) + ") of its " +
                              (timed_out ? "timeout" : "cancellation") + ", so its worker was killed";
      lose_worker("was killed: its attempt " + why.substr(0, why.find(", so")));
      set_error(frame.ctx(), timed_out ? "rh::TimeoutError" : "rh::CancelledError", "the attempt " + why);
      return timed_out ? RH_TASK_TIMED_OUT : RH_TASK_CANCELLED;
    }
    if (!frame.stop_sent && detail::host().ctx_status(frame.ctx()) == RH_CANCELLED) {
      frame.stop_sent = true;
      frame.stop_sent_at = now;
      worker_->send(wire::Writer().u8(static_cast<std::uint8_t>(Type::Stop)).u64(frame.id).finish());
      continue;
    }

    pollfd fds[3] = {
        {worker_->socket_fd(), POLLIN, 0}, {worker_->stdout_fd(), POLLIN, 0}, {worker_->stderr_fd(), POLLIN, 0}};
    int wait_ms = frame.stop_sent ? 1000 : kStopCheckMs;
    if (kill_at != RH_DEADLINE_NONE)
      wait_ms = static_cast<int>(std::min<rh_time_ns>(wait_ms, (kill_at - now) / 1000000 + 1));
    if (poll(fds, 3, wait_ms) <= 0) continue;
    if ((fds[1].revents | fds[2].revents) != 0) worker_->drain_output(output);
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !worker_->read_socket()) {
      // Gone. Whatever it managed to send first (its Done, its OutOfMemory) still counts.
      try {
        while (worker_->next_message(&payload)) {
          handle(frame, payload);
          if (frame.done) {
            lose_worker(worker_->end(settings_.kill_grace_seconds) + " after its attempt returned");
            return frame.code;
          }
        }
      } catch (const std::exception&) {
        // A broken last message of a dead worker says nothing more than its exit does.
      }
      worker_->drain_output(output);
      const std::string ending = worker_->end(settings_.kill_grace_seconds);
      lose_worker(worker_->ran_out_of_memory() ? "ran out of memory (max_memory_mb " +
                                                     std::to_string(settings_.max_memory_mb) + ", " + ending + ")"
                                               : ending);
      return lost();
    }
  }
}

void Lane::handle(Frame& frame, const std::string& payload) {
  const worker_protocol::WorkerMessage m = worker_protocol::decode_from_worker(payload);
  const rh_host_api& host = detail::host();
  switch (m.type) {
    case Type::Done:
      if (m.done.attempt != frame.id) {
        throw Violation("reported the end of attempt " + std::to_string(m.done.attempt) + " while it ran attempt " +
                        std::to_string(frame.id));
      }
      // Its last lines were written before its Done: they belong to this attempt.
      worker_->drain_output([this](std::string_view line, bool from_stderr) { log_output(line, from_stderr); });
      if (m.done.has_result) host.ctx_set_result(frame.ctx(), to_rh_str(m.done.result));
      if (m.done.has_error) {
        host.ctx_set_error(frame.ctx(), to_rh_str(m.done.error_type), to_rh_str(m.done.error_message));
      }
      frame.done = true;
      frame.code = m.done.code;
      return;
    case Type::Log:
      if (m.log.for_attempt) {
        host.ctx_log(frame.ctx(), m.log.level, to_rh_str(m.log.message));
      } else {
        host.log(m.log.level, to_rh_str(m.log.logger), to_rh_str(m.log.message));
      }
      return;
    case Type::Call: answer_call(frame, m.call); return;
    case Type::Release: {
      const bool is_waitset = m.release.kind == worker_protocol::HandleKind::Waitset;
      void* object = find_handle(m.release.handle, is_waitset);
      handles_.erase(m.release.handle);
      if (is_waitset) {
        host.waitset_destroy(static_cast<rh_waitset*>(object));
      } else {
        host.run_release(static_cast<rh_run*>(object));
      }
      return;
    }
    case Type::OutOfMemory: worker_->note_out_of_memory(); return;
    default: throw Violation("sent a message the decoder let through unhandled");  // unreachable
  }
}

void Lane::answer_call(Frame& frame, const worker_protocol::CallMessage& call) {
  const rh_host_api& host = detail::host();
  rh_context* ctx = frame.ctx();
  wire::Writer reply;
  reply.u8(static_cast<std::uint8_t>(Type::Reply)).u64(call.id);
  ErrorCapture error;
  switch (call.op) {
    case Op::Sleep: reply.i32(host.ctx_sleep(ctx, call.duration_ns)); break;
    case Op::Submit: {
      std::vector<rh_dependency> deps;
      deps.reserve(call.dependencies.size());
      for (const worker_protocol::Dependency& dep : call.dependencies) {
        deps.push_back(
            rh_dependency{sizeof(rh_dependency), dep.flags, static_cast<rh_run*>(find_handle(dep.run, false))});
      }
      const rh_submit_request request{sizeof(rh_submit_request), to_rh_str(call.task), to_rh_str(call.params),
                                      deps.data(), deps.size()};
      rh_run* run = nullptr;
      const std::int32_t status = host.submit(ctx, &request, &run, &error.sink);
      if (status == RH_OK) {
        reply.i32(RH_OK).u64(add_handle(run, false)).u64(host.run_id(run)).str("");
      } else {
        reply.i32(status).u64(0).u64(0).str(error.message_or_type());
      }
      break;
    }
    case Op::RunWait: {
      auto* run = static_cast<rh_run*>(find_handle(call.handle, false));
      const std::int32_t status = host.run_wait(run, call.deadline, &error.sink);
      reply.i32(status).str(error.message_or_type());
      break;
    }
    case Op::RunSnapshot: {
      auto* run = static_cast<rh_run*>(find_handle(call.handle, false));
      reply.i32(RH_OK);
      host.run_snapshot(
          run,
          [](void* out, const rh_run_view* view) {
            worker_protocol::write_view(*static_cast<wire::Writer*>(out), *view);
          },
          &reply);
      break;
    }
    case Op::WaitsetCreate: reply.i32(RH_OK).u64(add_handle(host.waitset_create(), true)); break;
    case Op::WaitsetAdd: {
      auto* set = static_cast<rh_waitset*>(find_handle(call.handle, true));
      auto* run = static_cast<rh_run*>(find_handle(call.run, false));
      host.waitset_add(set, run);
      reply.i32(RH_OK);
      break;
    }
    case Op::WaitsetNext: {
      auto* set = static_cast<rh_waitset*>(find_handle(call.handle, true));
      rh_run* run = nullptr;
      const std::int32_t status = host.waitset_next(set, call.deadline, &run);
      reply.i32(status).u64(status == RH_OK ? host.run_id(run) : 0);
      break;
    }
    case Op::WaiterWait: {
      rh_waiter* waiter = host.waiter_instance();
      struct Seen {
        bool any = false;
        wire::Writer view;
      } seen;
      std::int32_t status = RH_ERROR;
      if (waiter == nullptr) {
        error.message = "the session's waiter is not available";
      } else {
        status = host.waiter_wait(
            waiter, call.run_id, call.deadline,
            [](void* out, const rh_run_view* view) {
              auto* s = static_cast<Seen*>(out);
              s->any = true;
              worker_protocol::write_view(s->view, *view);
            },
            &seen, &error.sink);
        host.waiter_release(waiter);
      }
      reply.i32(status).str(error.message_or_type()).u8(seen.any ? 1 : 0);
      if (seen.any) {
        // The view was written as a frame of its own: append its payload only.
        const std::string& bytes = seen.view.finish();
        reply.raw(std::string_view(bytes).substr(wire::kHeaderSize));
      }
      break;
    }
  }
  worker_->send(reply.finish());  // if it is gone, the socket says so
}

void Lane::lose_worker(const std::string& why) {
  if (worker_ == nullptr || !lost_.empty()) return;
  const std::string name = worker_->name();
  worker_->kill_now();
  lost_ = name + " " + why;
  log_(log_user_data_, RH_LOG_WARN, lost_ + "; it is replaced");
}

void Lane::after_outermost() {
  const bool recycle =
      lost_.empty() && settings_.max_tasks_per_child > 0 && tasks_on_worker_ >= settings_.max_tasks_per_child;
  if (lost_.empty() && !recycle) return;
  release_handles();
  if (recycle) worker_->retire(settings_.kill_grace_seconds);
  worker_.reset();
  lost_.clear();
  try {
    spawn_worker();
    await_ready();
  } catch (const std::exception& e) {
    // The next attempt on this lane tries again, and fails with the reason if it must.
    worker_.reset();
    log_(log_user_data_, RH_LOG_ERROR,
         std::string("worker ") + std::to_string(index_) + " could not be replaced: " + e.what());
  }
}

void Lane::release_handles() {
  const rh_host_api& host = detail::host();
  for (const auto& entry : handles_) {
    if (entry.second.is_waitset) {
      host.waitset_destroy(static_cast<rh_waitset*>(entry.second.object));
    } else {
      host.run_release(static_cast<rh_run*>(entry.second.object));
    }
  }
  handles_.clear();
}

void Lane::log_output(std::string_view line, bool from_stderr) {
  const std::uint32_t level = from_stderr ? RH_LOG_WARN : RH_LOG_INFO;
  if (!frames_.empty()) {
    detail::host().ctx_log(frames_.back()->ctx(), level, to_rh_str(line));
  } else {
    log_(log_user_data_, level, worker_->name() + (from_stderr ? " stderr: " : " stdout: ") + std::string(line));
  }
}

std::uint64_t Lane::add_handle(void* object, bool is_waitset) {
  const std::uint64_t handle = next_handle_++;
  handles_.emplace(handle, Handle{object, is_waitset});
  return handle;
}

void* Lane::find_handle(std::uint64_t handle, bool is_waitset) const {
  const auto it = handles_.find(handle);
  if (it == handles_.end() || it->second.is_waitset != is_waitset) {
    throw Violation("named a " + std::string(is_waitset ? "wait set" : "run") + " it was never given (handle " +
                    std::to_string(handle) + ")");
  }
  return it->second.object;
}

void Lane::stop() {
  if (worker_ == nullptr) return;
  release_handles();
  worker_->retire(settings_.kill_grace_seconds);
  worker_.reset();
}

void Lane::kill() {
  if (worker_ == nullptr) return;
  release_handles();
  worker_->kill_now();
  worker_.reset();
}

}  // namespace rh::process_runner
