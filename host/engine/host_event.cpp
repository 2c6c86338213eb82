#include "engine/host_event.hpp"

#include "engine/blocking.hpp"
#include "engine/clock.hpp"
#include "engine/thread_events.hpp"

#include <mutex>

namespace rh::host {

void HostEvent::set() {
  std::lock_guard<SpinLock> lock(lock_);
  set_ = true;
  waiters_.set_all();
}

bool HostEvent::is_set() const {
  std::lock_guard<SpinLock> lock(lock_);
  return set_;
}

std::int32_t HostEvent::wait(std::int64_t deadline) {
  Scheduler& scheduler = current_scheduler();
  for (;;) {
    rh_event* token = scheduler.make_token();
    {
      std::lock_guard<SpinLock> lock(lock_);
      if (set_) {
        scheduler.destroy(token);
        return RH_OK;
      }
      waiters_.add(scheduler, token);
    }
    const std::int32_t status = block_on(scheduler, token, deadline);
    bool set;
    {
      std::lock_guard<SpinLock> lock(lock_);
      waiters_.remove(token);
      set = set_;
    }
    scheduler.destroy(token);
    if (set) return RH_OK;
    if (status != RH_OK) return status;
  }
}

}  // namespace rh::host
