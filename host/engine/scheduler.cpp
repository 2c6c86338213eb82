#include "engine/scheduler.hpp"

#include <string>

namespace rh::host {
namespace {

thread_local AttemptContext* tl_current_attempt = nullptr;

struct MessageSink {
  rh_error_sink sink{sizeof(rh_error_sink), this, &MessageSink::set};
  std::string message;
  static void set(rh_error_sink* s, rh_str type, rh_str text) {
    auto* self = static_cast<MessageSink*>(s->host_data);
    self->message.assign(text.data == nullptr ? "" : std::string(text.data, text.size));
    if (self->message.empty() && type.data != nullptr) self->message.assign(type.data, type.size);
  }
};

}  // namespace

// Out of line on purpose: a task suspended on one thread may resume on another (oneTBB
// resumable tasks), and a compiler may keep a thread-local's address in a register across
// the call that suspended it. Computing the address afresh in a separate function, on
// every access, always reaches the current thread's slot.
__attribute__((noinline)) AttemptContext* current_attempt() noexcept { return tl_current_attempt; }
__attribute__((noinline)) void set_current_attempt(AttemptContext* attempt) noexcept { tl_current_attempt = attempt; }

void Scheduler::submit(rh_work_fn fn, void* arg) {
  MessageSink error;
  if (api_->submit(runner_, fn, arg, &error.sink) != RH_OK) {
    throw RunnerRefused("runner '" + name_ + "' refused work: " + error.message);
  }
}

bool Scheduler::wait(rh_event* token, std::int64_t deadline, std::uint32_t flags) {
  AttemptContext* const saved = current_attempt();
  const bool set = api_->event_wait(runner_, token, deadline, flags) == RH_OK;
  set_current_attempt(saved);
  return set;
}

void Scheduler::yield() {
  AttemptContext* const saved = current_attempt();
  api_->yield(runner_);
  set_current_attempt(saved);
}

}  // namespace rh::host
