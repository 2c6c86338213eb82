// The completion cache is bounded: entries expire after the TTL, and beyond max_entries the
// oldest entries go first. Defaults: 10,000 entries, 600 s.
#include "waiter_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace rh::testing {
namespace {

using host::EventBus;
using host::StateId;
using host::TaskRunWaiter;
using host::WaiterOptions;

// Polls lookup() until the entry is gone; false if it is still there at the hang guard.
bool expires(TaskRunWaiter& waiter, std::uint64_t run_id) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::duration<double>(kHangGuardSeconds);
  while (std::chrono::steady_clock::now() < guard) {
    if (!waiter.lookup(run_id).has_value()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(TaskRunWaiterCache, DefaultsAreTenThousandEntriesAndTenMinutes) {
  const WaiterOptions defaults;
  EXPECT_EQ(defaults.max_entries, 10000u);
  EXPECT_EQ(defaults.ttl_seconds, 600);
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  EXPECT_EQ(waiter.options().max_entries, 10000u);
  EXPECT_EQ(waiter.options().ttl_seconds, 600);
  TaskRunWaiter zero(bus, WaiterOptions{0, 30});
  EXPECT_EQ(zero.options().max_entries, 10000u) << "0 entries means the default";
  EXPECT_EQ(zero.options().ttl_seconds, 30);
}

TEST(TaskRunWaiterCache, EntriesExpireAfterTheTtl) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{100, 0.05});
  // A callback proves the event was taken in (whenever the entry then expires).
  int seen = 0;
  waiter.add_done_callback(1, [&](std::uint64_t) { ++seen; });
  publish_completed(bus, 1);
  ASSERT_EQ(seen, 1);
  ASSERT_TRUE(expires(waiter, 1)) << "still cached long after a 0.05 s TTL";
  EXPECT_EQ(waiter.cached(), 0u);
  // Forgotten: a wait no longer returns at once.
  EXPECT_EQ(waiter.wait_for_task_run(1, host::monotonic_ns(), nullptr), RH_TIMEOUT);
}

TEST(TaskRunWaiterCache, LongTtlKeepsEntries) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{100, 600});
  publish_completed(bus, 1);
  // Whatever this machine's delays, 600 s did not pass.
  EXPECT_TRUE(waiter.lookup(1).has_value());
  EXPECT_EQ(waiter.wait_for_task_run(1, host::monotonic_ns(), nullptr), RH_OK);
}

TEST(TaskRunWaiterCache, OldestEntriesAreEvictedBeyondMaxEntries) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{3, 600});
  for (std::uint64_t id = 1; id <= 5; ++id) publish_completed(bus, id);
  EXPECT_EQ(waiter.cached(), 3u);
  EXPECT_FALSE(waiter.lookup(1).has_value());
  EXPECT_FALSE(waiter.lookup(2).has_value());
  EXPECT_TRUE(waiter.lookup(3).has_value());
  EXPECT_TRUE(waiter.lookup(4).has_value());
  EXPECT_TRUE(waiter.lookup(5).has_value());
  publish_completed(bus, 6);
  EXPECT_FALSE(waiter.lookup(3).has_value()) << "the oldest goes first";
  EXPECT_TRUE(waiter.lookup(4).has_value());
  EXPECT_TRUE(waiter.lookup(6).has_value());
  EXPECT_EQ(waiter.cached(), 3u);
  // An evicted run is no longer answered at once.
  EXPECT_EQ(waiter.wait_for_task_run(1, host::monotonic_ns(), nullptr), RH_TIMEOUT);
}

TEST(TaskRunWaiterCache, BoundHoldsUnderManyEvents) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{100, 600});
  for (std::uint64_t id = 1; id <= 10000; ++id) publish_completed(bus, id);
  EXPECT_EQ(waiter.cached(), 100u);
  EXPECT_FALSE(waiter.lookup(9900).has_value());
  EXPECT_TRUE(waiter.lookup(9901).has_value());
  EXPECT_TRUE(waiter.lookup(10000).has_value());
}

// Callbacks registered before a run ends do not depend on the cache: an entry evicted at
// once (max_entries 1 and a newer run ending right after) still calls them.
TEST(TaskRunWaiterCache, CallbacksDoNotDependOnTheCache) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{1, 600});
  int calls = 0;
  waiter.add_done_callback(1, [&](std::uint64_t) { ++calls; });
  publish_completed(bus, 1);
  publish_completed(bus, 2);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(waiter.lookup(1).has_value());
  EXPECT_TRUE(waiter.lookup(2).has_value());
}

// Nor should a wait that is already blocked when the run ends: it was woken for that run,
// so it must return RH_OK even if the cache entry is gone by the time the thread runs
// (a TTL of 1 ns makes that certain; max_entries eviction under load does the same).
// A woken wait gets the state handed over, even if the cache entry is already gone.
TEST(TaskRunWaiterCache, ABlockedWaitGetsTheStateEvenIfTheEntryExpiredBeforeItRan) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{100, 1e-9});
  Arrivals announced;
  std::atomic<long> tid{0};
  std::int32_t status = -1;
  host::FinalState state;
  std::thread waiting([&] {
    tid = current_tid();
    announced.arrive();
    status = guarded_wait(waiter, 1, hang_guard_deadline(), &state);
  });
  ASSERT_TRUE(announced.wait_for(1));
  ASSERT_TRUE(wait_until_sleeping(tid));
  publish_state(bus, 1, StateId::Crashed);
  waiting.join();
  EXPECT_EQ(status, RH_OK);
  EXPECT_EQ(state.state, StateId::Crashed);
}

}  // namespace
}  // namespace rh::testing
