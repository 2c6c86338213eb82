#include "runtime/host_event.hpp"

#include <mutex>
#include <optional>

namespace rh::host {

void HostEvent::set() {
  std::lock_guard<SpinLock> lock(lock_);
  set_ = true;
  waiters_.wake_all();
}

bool HostEvent::is_set() const {
  std::lock_guard<SpinLock> lock(lock_);
  return set_;
}

std::int32_t HostEvent::wait(const Blocker& blocker, std::int64_t deadline) {
  return wait_until(
      blocker, lock_, waiters_,
      [this]() -> std::optional<std::int32_t> {
        if (set_) return RH_OK;
        return std::nullopt;
      },
      deadline);
}

}  // namespace rh::host
