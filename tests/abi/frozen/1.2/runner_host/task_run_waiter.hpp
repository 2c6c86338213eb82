// rh::TaskRunWaiter: wait for any task run by id, or be called back when it ends, without
// holding its future. instance() is the session's waiter (the same until stop(), a new one
// after); constructing one gives a private waiter with its own cache bounds. Both belong to
// the host session whose code calls them (a task, flow or hook): a thread of your own has
// none, so create the waiter in task code and hand it to the thread.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/detail/status.hpp>
#include <runner_host/state.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace rh {

class TaskRunWaiter {
 public:
  // The session's waiter. Throws UsageError outside the session's code.
  static TaskRunWaiter instance() { return TaskRunWaiter(checked(detail::host().waiter_instance())); }

  // A private waiter; 0 keeps the defaults (10,000 entries, 600 s). Throws UsageError
  // outside the session's code.
  explicit TaskRunWaiter(std::uint64_t max_entries = 0, double ttl_seconds = 0)
      : waiter_(checked(detail::host().waiter_create(max_entries, ttl_seconds))) {}

  ~TaskRunWaiter() {
    if (waiter_ != nullptr) detail::host().waiter_release(waiter_);
  }
  TaskRunWaiter(const TaskRunWaiter&) = delete;
  TaskRunWaiter& operator=(const TaskRunWaiter&) = delete;
  TaskRunWaiter(TaskRunWaiter&& other) noexcept : waiter_(std::exchange(other.waiter_, nullptr)) {}
  TaskRunWaiter& operator=(TaskRunWaiter&& other) noexcept {
    std::swap(waiter_, other.waiter_);
    return *this;
  }

  // The run's final state; nullopt when the timeout passes first (the run goes on) or the
  // waiter is stopped. Throws UsageError when a run waits for itself.
  std::optional<State> wait_for_task_run(std::uint64_t run_id) { return wait_until(run_id, RH_DEADLINE_NONE); }
  template <class Rep, class Period>
  std::optional<State> wait_for_task_run(std::uint64_t run_id, std::chrono::duration<Rep, Period> timeout) {
    return wait_until(run_id, detail::deadline_after(timeout));
  }

  // Calls fn(run_id) once when the run ends: at once if it already did. fn must be quick.
  void add_done_callback(std::uint64_t run_id, std::function<void(std::uint64_t)> fn) {
    auto* payload = new std::function<void(std::uint64_t)>(std::move(fn));
    detail::host().waiter_add_done_callback(
        waiter_, run_id,
        [](void* ud, std::uint64_t id) {
          std::unique_ptr<std::function<void(std::uint64_t)>> callback(
              static_cast<std::function<void(std::uint64_t)>*>(ud));
          try {
            (*callback)(id);
          } catch (...) {  // never across the C boundary
            ErrorCapture error;
            detail::report_current_exception(&error.sink);
            const std::string line = "TaskRunWaiter done callback for run " + std::to_string(id) + " raised " +
                                     error.type + ": " + error.message;
            detail::host().log(RH_LOG_ERROR, to_rh_str("rh.sdk"), to_rh_str(line));
          }
        },
        payload);
  }

  // Stops it: pending waits return; instance() then gives a new waiter.
  void stop() { detail::host().waiter_stop(waiter_); }

  bool operator==(const TaskRunWaiter& other) const { return waiter_ == other.waiter_; }
  bool operator!=(const TaskRunWaiter& other) const { return waiter_ != other.waiter_; }

 private:
  explicit TaskRunWaiter(rh_waiter* waiter) : waiter_(waiter) {}

  static rh_waiter* checked(rh_waiter* waiter) {
    if (waiter == nullptr) {
      throw UsageError(
          "a TaskRunWaiter belongs to a host session: create it in task, flow or hook code (this thread "
          "runs none)");
    }
    return waiter;
  }

  std::optional<State> wait_until(std::uint64_t run_id, rh_time_ns deadline) {
    std::optional<State> state;
    ErrorCapture error;
    auto visit = [](void* ud, const rh_run_view* view) {
      *static_cast<std::optional<State>*>(ud) = detail::state_from_view(*view);
    };
    const int32_t status = detail::host().waiter_wait(waiter_, run_id, deadline, visit, &state, &error.sink);
    if (status == RH_STOPPED) return std::nullopt;
    detail::throw_if_interrupted(status, &error);
    return status == RH_OK ? state : std::nullopt;
  }

  rh_waiter* waiter_;
};

}  // namespace rh
