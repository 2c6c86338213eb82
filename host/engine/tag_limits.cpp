#include "engine/tag_limits.hpp"

namespace rh::host {

TagLimits::TagLimits(const std::map<std::string, std::int64_t>& limits) {
  for (const auto& [tag, capacity] : limits) limits_[tag].capacity = capacity;
}

bool TagLimits::any_limited(const std::vector<std::string>& tags) const {
  for (const std::string& tag : tags) {
    if (limits_.count(tag) != 0) return true;
  }
  return false;
}

TagLimits::Limit* TagLimits::first_full(const std::vector<std::string>& tags) {
  for (const std::string& tag : tags) {
    auto it = limits_.find(tag);
    if (it != limits_.end() && it->second.used >= it->second.capacity) return &it->second;
  }
  return nullptr;
}

void TagLimits::take(const std::vector<std::string>& tags) {
  for (const std::string& tag : tags) {
    auto it = limits_.find(tag);
    if (it != limits_.end()) ++it->second.used;
  }
}

TagLimits::Acquisition TagLimits::acquire(Run* run, const std::vector<std::string>& tags,
                                          const std::function<void()>& before_queueing) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& tag : tags) {
    auto it = limits_.find(tag);
    if (it != limits_.end() && it->second.capacity <= 0) return {Outcome::ZeroLimit, tag};
  }
  Limit* full = first_full(tags);
  if (full == nullptr) {
    take(tags);
    return {Outcome::Granted, {}};
  }
  if (before_queueing) before_queueing();
  full->queue.push_back(Waiting{run, &tags});
  return {Outcome::Queued, {}};
}

std::vector<Run*> TagLimits::release(const std::vector<std::string>& tags) {
  std::vector<Run*> granted;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& tag : tags) {
    auto it = limits_.find(tag);
    if (it != limits_.end() && it->second.used > 0) --it->second.used;
  }
  for (const std::string& tag : tags) {
    auto it = limits_.find(tag);
    if (it == limits_.end()) continue;
    Limit& limit = it->second;
    while (!limit.queue.empty() && limit.used < limit.capacity) {
      Waiting waiting = limit.queue.front();
      limit.queue.pop_front();
      if (Limit* other = first_full(*waiting.tags)) {
        // Still blocked by another tag: wait there, first in line, since it waited longest.
        other->queue.push_front(waiting);
        continue;
      }
      take(*waiting.tags);
      granted.push_back(waiting.run);
    }
  }
  return granted;
}

std::vector<Run*> TagLimits::drain_waiters() {
  std::vector<Run*> drained;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [tag, limit] : limits_) {
    for (const Waiting& w : limit.queue) drained.push_back(w.run);
    limit.queue.clear();
  }
  return drained;
}

std::int64_t TagLimits::in_use(const std::string& tag) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = limits_.find(tag);
  return it == limits_.end() ? 0 : it->second.used;
}

std::int64_t TagLimits::capacity(const std::string& tag) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = limits_.find(tag);
  return it == limits_.end() ? -1 : it->second.capacity;
}

}  // namespace rh::host
