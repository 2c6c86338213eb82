// A 1-byte lock for the short critical sections of a task run (state, waiters). Runs are
// many and their critical sections tiny, so a std::mutex per run (40 bytes) is not worth it.
#pragma once

#include <atomic>
#include <thread>

namespace rh::host {

class SpinLock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;; ++spins) {
      if (!flag_.exchange(true, std::memory_order_acquire)) return;
      while (flag_.load(std::memory_order_relaxed)) {
        if (++spins > 64) std::this_thread::yield();
      }
    }
  }
  bool try_lock() noexcept { return !flag_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace rh::host
