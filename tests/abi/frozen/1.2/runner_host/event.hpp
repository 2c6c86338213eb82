// rh::Event: a set-once signal between task runs, waited on through the active runner (a
// waiting fiber is suspended, a waiting pool task frees its worker).
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/detail/status.hpp>

#include <chrono>
#include <utility>

namespace rh {

class Event {
 public:
  Event() : event_(detail::host().event_create()) {}
  ~Event() {
    if (event_ != nullptr) detail::host().event_destroy(event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&& other) noexcept {
    std::swap(event_, other.event_);
    return *this;
  }

  // Wakes every waiter, now and later: the event stays set.
  void set() { detail::host().event_set(event_); }
  bool is_set() const { return detail::host().event_is_set(event_); }

  // true once set; false when the timeout passes first. Inside a task run, throws
  // CancelledError / TimeoutError when the run's attempt must stop.
  bool wait() const { return wait_until(RH_DEADLINE_NONE); }
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) const {
    return wait_until(detail::deadline_after(timeout));
  }

 private:
  bool wait_until(rh_time_ns deadline) const {
    const int32_t status = detail::host().event_wait(event_, deadline);
    detail::throw_if_interrupted(status);
    return status == RH_OK;
  }

  rh_event* event_;
};

}  // namespace rh
