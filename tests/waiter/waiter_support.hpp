// Helpers for the TaskRunWaiter suites: synthetic task-run events published on a private
// EventBus (no engine, no runner), deadlines, and ways to synchronise with threads that
// wait without ever guessing how long something takes. Every bound here is a hang guard.
#pragma once

#include "arrivals.hpp"
#include "base/clock.hpp"
#include "events/event_bus.hpp"
#include "events/task_run_waiter.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace rh::testing {

// Long enough to never fire on a healthy (if slow and shared) machine: only a hang reaches it.
inline constexpr double kHangGuardSeconds = 60;

inline std::int64_t deadline_after_seconds(double seconds) { return host::deadline_in(seconds); }
inline std::int64_t hang_guard_deadline() { return deadline_after_seconds(kHangGuardSeconds); }

// wait_for_task_run, except that a wait which returned only once its deadline had passed
// counts as RH_TIMEOUT. The waiter looks at its cache (and stop flag) once more at the deadline, so a lost
// wake-up would otherwise still end in RH_OK, merely a hang guard late.
inline std::int32_t guarded_wait(host::TaskRunWaiter& waiter, std::uint64_t run_id, std::int64_t deadline,
                                 host::FinalState* out = nullptr) {
  const std::int32_t status = waiter.wait_for_task_run(run_id, deadline, out);
  if (status != RH_TIMEOUT && deadline != RH_DEADLINE_NONE && host::monotonic_ns() >= deadline) return RH_TIMEOUT;
  return status;
}

// Run ids no other test in this process uses (the process-wide waiter keeps what it saw).
inline std::uint64_t fresh_ids(std::uint64_t count) {
  static std::atomic<std::uint64_t> next{std::uint64_t{1} << 40};
  return next.fetch_add(count);
}

// A task-run event as the engine would publish it. The string views point at literals.
inline host::TaskRunEvent task_event(std::uint64_t run_id, host::StateId state) {
  static std::atomic<std::uint64_t> next_event_id{1};
  host::TaskRunEvent event;
  event.id = next_event_id.fetch_add(1);
  event.time_us = host::wall_us();
  event.run_id = run_id;
  event.run_name = "work-3fa";
  event.task_name = "work";
  event.run_count = 1;
  event.flow_run_id = 17;
  event.state = state;
  event.message = "a message";
  event.previous = host::StateId::Running;
  return event;
}

inline void publish_state(host::EventBus& bus, std::uint64_t run_id, host::StateId state) {
  bus.publish(task_event(run_id, state));
}

inline void publish_completed(host::EventBus& bus, std::uint64_t run_id) {
  publish_state(bus, run_id, host::StateId::Completed);
}

inline long current_tid() { return static_cast<long>(::syscall(SYS_gettid)); }

// Linux scheduler state of a thread of this process ('R' running, 'S' sleeping, ...).
inline char thread_state(long tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

// Returns once the thread sleeps in the kernel. Used only after the thread announced that
// it is about to call wait_for_task_run, with nothing else able to hold the waiter's lock:
// then sleeping means blocked inside the wait. false when the hang guard passes first.
inline bool wait_until_sleeping(long tid) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::duration<double>(kHangGuardSeconds);
  while (std::chrono::steady_clock::now() < guard) {
    if (thread_state(tid) == 'S') return true;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

// Aborts the whole test binary (with a message) if the scope is not left within `seconds`:
// the guard for code where a bug would hang forever instead of returning a failure.
class Watchdog {
 public:
  explicit Watchdog(const char* what, double seconds = 2 * kHangGuardSeconds)
      : thread_([this, what, seconds] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: '%s' hung for %.0f s; aborting\n", what, seconds);
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace rh::testing
