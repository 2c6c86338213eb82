#include "runtime/timer_service.hpp"

#include "base/clock.hpp"

#include <algorithm>
#include <chrono>

namespace rh::host {
namespace {

constexpr std::chrono::nanoseconds kLongestSleep = std::chrono::hours(1);

}  // namespace

TimerService::~TimerService() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t TimerService::schedule(std::int64_t deadline, Callback fn, void* arg) {
  std::uint64_t id;
  bool earliest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    id = next_id_++;
    auto it = queue_.emplace(deadline, Entry{fn, arg, id});
    by_id_.emplace(id, it);
    earliest = it == queue_.begin();
  }
  // Only a new earliest deadline changes how long the timer thread should sleep.
  if (earliest) wake_.notify_one();
  return id;
}

bool TimerService::cancel(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return false;
  queue_.erase(found->second);
  by_id_.erase(found);
  return true;
}

std::size_t TimerService::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void TimerService::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      wakeups_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const std::int64_t now = monotonic_ns();
    auto first = queue_.begin();
    if (first->first > now) {
      // In bounded steps: the library adds the duration to its clock's now, and a deadline
      // far away (INT64_MAX: never) would overflow into the past and make this loop spin.
      wake_.wait_for(lock, std::min(std::chrono::nanoseconds(first->first - now), kLongestSleep));
      wakeups_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const Entry entry = first->second;
    by_id_.erase(entry.id);
    queue_.erase(first);
    lock.unlock();
    entry.fn(entry.arg);
    lock.lock();
  }
}

}  // namespace rh::host
