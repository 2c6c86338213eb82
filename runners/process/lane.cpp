#include "lane.hpp"

#include "seconds_text.hpp"

#include <runner_host/abi_text.hpp>
#include <runner_host/detail/host.hpp>

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rh::process_runner {
namespace {

using remote::seconds_text;
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
          if (in.u32() != worker_protocol::kVersion)
            throw remote::ProtocolViolation("speaks another version of the worker protocol");
          return;
        }
        if (type == Type::LoadFailed) {
          const std::string message(in.str());
          worker_->drain_output(log_line);
          worker_->end(settings_.kill_grace_seconds);
          throw std::runtime_error(message);
        }
        if (type != Type::Log)
          throw remote::ProtocolViolation("sent a " + std::string(worker_protocol::type_name(payload[0])) +
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
    } catch (const remote::ProtocolViolation& e) {
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

std::int32_t Lane::execute(const rh_remote_attempt& attempt, bool /*may_resend*/) {
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
  const auto lost = [&] {
    set_error(frame.ctx(), "rh::WorkerLost", lost_ + " while this attempt ran on it");
    return RH_TASK_WORKER_LOST;
  };
  worker_->send(remote::AttemptHost::run_frame(frame.id, frame.attempt));  // if it is gone, the socket says so below

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
    } catch (const remote::ProtocolViolation& e) {
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
      worker_->send(remote::AttemptHost::stop_frame(frame.id));
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
  // Its last lines were written before its Done: they belong to this attempt.
  if (!payload.empty() && static_cast<Type>(static_cast<std::uint8_t>(payload[0])) == Type::Done) {
    worker_->drain_output([this](std::string_view line, bool from_stderr) { log_output(line, from_stderr); });
  }
  const remote::MessageOutcome outcome = calls_.handle(frame.id, frame.ctx(), payload);
  if (outcome.type == Type::OutOfMemory) worker_->note_out_of_memory();
  if (!outcome.reply.empty()) worker_->send(outcome.reply);  // if it is gone, the socket says so
  if (outcome.done) {
    frame.done = true;
    frame.code = outcome.code;
  }
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
  calls_.release_all();
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

void Lane::log_output(std::string_view line, bool from_stderr) {
  const std::uint32_t level = from_stderr ? RH_LOG_WARN : RH_LOG_INFO;
  if (!frames_.empty()) {
    detail::host().ctx_log(frames_.back()->ctx(), level, to_rh_str(line));
  } else {
    log_(log_user_data_, level, worker_->name() + (from_stderr ? " stderr: " : " stdout: ") + std::string(line));
  }
}

void Lane::stop() {
  if (worker_ == nullptr) return;
  calls_.release_all();
  worker_->retire(settings_.kill_grace_seconds);
  worker_.reset();
}

void Lane::kill() {
  if (worker_ == nullptr) return;
  calls_.release_all();
  worker_->kill_now();
  worker_.reset();
}

}  // namespace rh::process_runner
