// Results of cache-enabled tasks, keyed by task and resolved parameters. Bounded: least
// recently used entries go first once max_entries is reached; expired entries are misses.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace rh::host {

class ResultCache {
 public:
  explicit ResultCache(std::size_t max_entries = 10000) : max_entries_(max_entries == 0 ? 1 : max_entries) {}

  // The cache key of a run: task name and canonical parameter JSON.
  static std::string key(const std::string& task, const std::string& params);

  // The stored result, unless absent or expired (monotonic ns).
  std::optional<std::string> lookup(const std::string& key, std::int64_t now_ns);
  // Stores a result; expires_ns 0 means never.
  void store(const std::string& key, std::string result, std::int64_t expires_ns);

  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string result;
    std::int64_t expires_ns;
  };
  mutable std::mutex mutex_;
  std::size_t max_entries_;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace rh::host
