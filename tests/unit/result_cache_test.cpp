// ResultCache: results of cached tasks by key, expiring at a monotonic deadline and evicting
// the least recently used entry once full. Time is passed in, so no test waits for a clock.
#include "store/result_cache.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace {

using rh::host::ResultCache;

TEST(ResultCache, MissThenHit) {
  ResultCache cache;
  const std::string key = ResultCache::key("add", R"({"a":1})");
  EXPECT_EQ(cache.lookup(key, 0), std::nullopt);
  cache.store(key, "2", 0);
  EXPECT_EQ(cache.lookup(key, 0), std::optional<std::string>("2"));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ResultCache, KeysSeparateTasksAndParameters) {
  EXPECT_NE(ResultCache::key("add", R"({"a":1})"), ResultCache::key("add", R"({"a":2})"));
  EXPECT_NE(ResultCache::key("add", "{}"), ResultCache::key("sub", "{}"));
  // Without a separator, "ab" + "{}" and "a" + "b{}" would be the same key.
  EXPECT_NE(ResultCache::key("ab", "{}"), ResultCache::key("a", "b{}"));
  // No parameters and an empty object are the same call.
  EXPECT_EQ(ResultCache::key("add", ""), ResultCache::key("add", "{}"));
}

TEST(ResultCache, ZeroExpiryNeverExpires) {
  ResultCache cache;
  cache.store("k", "v", 0);
  EXPECT_EQ(cache.lookup("k", INT64_MAX), std::optional<std::string>("v"));
}

TEST(ResultCache, EntryExpiresAtItsDeadline) {
  ResultCache cache;
  cache.store("k", "v", 1000);
  EXPECT_EQ(cache.lookup("k", 999), std::optional<std::string>("v"));
  EXPECT_EQ(cache.lookup("k", 1000), std::nullopt);  // the deadline itself is expired
  // An expired entry is dropped, not just hidden.
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.lookup("k", 0), std::nullopt);
}

TEST(ResultCache, EvictsTheLeastRecentlyUsedAtMaxEntries) {
  ResultCache cache(2);
  cache.store("a", "1", 0);
  cache.store("b", "2", 0);
  ASSERT_TRUE(cache.lookup("a", 0));  // a is now more recent than b
  cache.store("c", "3", 0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.lookup("b", 0), std::nullopt);
  EXPECT_EQ(cache.lookup("a", 0), std::optional<std::string>("1"));
  EXPECT_EQ(cache.lookup("c", 0), std::optional<std::string>("3"));
}

TEST(ResultCache, StoringAnExistingKeyUpdatesItInPlace) {
  ResultCache cache(2);
  cache.store("a", "1", 0);
  cache.store("b", "2", 0);
  cache.store("a", "10", 500);  // new value, new expiry, most recent again
  EXPECT_EQ(cache.size(), 2u);
  cache.store("c", "3", 0);  // evicts b, the least recently used
  EXPECT_EQ(cache.lookup("b", 0), std::nullopt);
  EXPECT_EQ(cache.lookup("a", 0), std::optional<std::string>("10"));
  EXPECT_EQ(cache.lookup("a", 500), std::nullopt);
}

TEST(ResultCache, ZeroMaxEntriesStillKeepsOne) {
  ResultCache cache(0);
  cache.store("a", "1", 0);
  cache.store("b", "2", 0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.lookup("b", 0), std::optional<std::string>("2"));
}

}  // namespace
