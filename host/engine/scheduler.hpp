// The engine's handle on the active runner plugin: submits work and builds waits on the
// runner's set-once events. Every wait goes through here so the engine can keep track of
// which attempt is executing on the current thread across fiber and task switches.
#pragma once

#include <runner_host/abi.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace rh::host {

struct AttemptContext;

// The attempt whose code runs on this thread right now (nullptr outside task code). It
// belongs to the running stack: every engine entry point on a worker clears it first and
// restores it last (the sequential runner nests work inside waiting tasks), and every wait
// restores it when the waiting code resumes, wherever that is.
AttemptContext* current_attempt() noexcept;
void set_current_attempt(AttemptContext* attempt) noexcept;

// Clears current_attempt() for a scope and puts the previous value back at its end.
class AttemptScope {
 public:
  AttemptScope() noexcept : saved_(current_attempt()) { set_current_attempt(nullptr); }
  ~AttemptScope() { set_current_attempt(saved_); }
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;

 private:
  AttemptContext* saved_;
};

class RunnerRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Scheduler {
 public:
  Scheduler(const rh_runner_api* api, rh_runner* runner, std::string name)
      : api_(api),
        runner_(runner),
        name_(std::move(name)),
        inline_depth_(RH_HAS_FIELD(api, rh_runner_api, inline_depth) && api->inline_depth != nullptr
                          ? api->inline_depth(runner)
                          : 0) {}

  const std::string& runner_name() const { return name_; }
  std::uint32_t concurrency() const { return api_->concurrency(runner_); }
  // How many runs deep a waiting attempt may run a queued run itself (rh_runner_api).
  std::uint32_t inline_depth() const noexcept { return inline_depth_; }

  // Hands fn(arg) to the runner. Throws RunnerRefused with the runner's message.
  void submit(rh_work_fn fn, void* arg);

  // One-shot wake tokens: a waiter creates one, registers it where the waited-for thing
  // will set it, waits, then destroys it.
  rh_event* make_token() { return api_->event_create(runner_); }
  void set(rh_event* token) { api_->event_set(runner_, token); }
  bool is_set(rh_event* token) { return api_->event_is_set(runner_, token); }
  void destroy(rh_event* token) { api_->event_destroy(runner_, token); }
  // true once set, false at the deadline. Restores current_attempt() afterwards: the
  // caller may resume on another thread, and this thread may have run other attempts.
  bool wait(rh_event* token, std::int64_t deadline, std::uint32_t flags = 0);
  void yield();

 private:
  const rh_runner_api* api_;
  rh_runner* runner_;
  std::string name_;
  std::uint32_t inline_depth_;
};

}  // namespace rh::host
