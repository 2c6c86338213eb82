// The set-once events task code creates through the host API (rh_host_api.event_*). Any
// thread may set one; waiters block through whichever runner they run on.
#pragma once

#include "base/spin_lock.hpp"
#include "runtime/wait.hpp"

#include <cstdint>

namespace rh::host {

class HostEvent {
 public:
  void set();
  bool is_set() const;
  // RH_OK once set, RH_TIMEOUT, or RH_CANCELLED / RH_TIMED_OUT_ATTEMPT for a stopping attempt.
  std::int32_t wait(const Blocker& blocker, std::int64_t deadline);

 private:
  mutable SpinLock lock_;
  bool set_ = false;
  WaitList waiters_;
};

}  // namespace rh::host
