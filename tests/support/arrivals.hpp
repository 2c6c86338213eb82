// Counts runs that reached a point, and lets the test thread wait for a number of them, up
// to a hang guard: a bug that loses an arrival fails the test instead of hanging it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace rh::testing {

class Arrivals {
 public:
  void arrive() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  // False when the guard passed first.
  bool wait_for(int count, double guard_seconds = 60) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::duration<double>(guard_seconds), [&] { return count_ >= count; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

}  // namespace rh::testing
