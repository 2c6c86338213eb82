#include "store/result_cache.hpp"

namespace rh::host {

std::string ResultCache::key(const std::string& task, const std::string& params) {
  std::string k;
  k.reserve(task.size() + params.size() + 1);
  k += task;
  k += '\x1f';  // cannot appear in a task name, so keys of different tasks never collide
  k += params.empty() ? std::string("{}") : params;
  return k;
}

std::optional<std::string> ResultCache::lookup(const std::string& key, std::int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  auto entry = found->second;
  if (entry->expires_ns != 0 && entry->expires_ns <= now_ns) {
    index_.erase(found);
    lru_.erase(entry);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return entry->result;
}

void ResultCache::store(const std::string& key, std::string result, std::int64_t expires_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) {
    found->second->result = std::move(result);
    found->second->expires_ns = expires_ns;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  lru_.push_front(Entry{key, std::move(result), expires_ns});
  index_.emplace(key, lru_.begin());
  while (lru_.size() > max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

std::size_t ResultCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_.size();
}

}  // namespace rh::host
