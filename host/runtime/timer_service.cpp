#include "runtime/timer_service.hpp"

#include "base/clock.hpp"

#include <chrono>

namespace rh::host {

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
      continue;
    }
    const std::int64_t now = monotonic_ns();
    auto first = queue_.begin();
    if (first->first > now) {
      wake_.wait_for(lock, std::chrono::nanoseconds(first->first - now));
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
