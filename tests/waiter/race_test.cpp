// The lost wake-up race: runs end while waits for them start, on many threads at once.
// A wait that checked the cache just before the terminal event and registered just after
// it would sleep until its deadline; every wait here must return RH_OK long before the
// hang guard. Callbacks registered while their runs end must each run exactly once.
#include "waiter_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

using host::EventBus;
using host::FinalState;
using host::StateId;
using host::TaskRunWaiter;
using host::WaiterOptions;

// Releases every thread at once, so waits and publications really overlap.
class StartLine {
 public:
  explicit StartLine(int threads) : expected_(threads) {}
  void arrive_and_wait() {
    ready_.fetch_add(1);
    while (ready_.load() < expected_) std::this_thread::yield();
  }

 private:
  const int expected_;
  std::atomic<int> ready_{0};
};

constexpr int kThreads = 16;
constexpr std::uint64_t kIdsPerThread = 2000;

// publisher_yields: a free-running publisher ends most runs before their waits start (the
// cache path); one that yields after each round ends most of them while the waits are
// registered or registering (the wake-up path). Both meet the window in between.
void race_waits_against_ends(bool publisher_yields) {
  Watchdog watchdog("TaskRunWaiterRace: waits against ends");
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{kThreads * kIdsPerThread * 2, 600});
  const std::uint64_t base = fresh_ids(kThreads * kIdsPerThread);
  // One shared deadline: even if every wait were lost, the test ends near the hang guard.
  const std::int64_t deadline = hang_guard_deadline();
  StartLine start(kThreads + 1);
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> wrong_state{0};
  std::atomic<std::uint64_t> timed_out{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (std::uint64_t i = 0; i < kIdsPerThread; ++i) {
        const std::uint64_t id = base + t * kIdsPerThread + i;
        FinalState state;
        const std::int32_t status = guarded_wait(waiter, id, deadline, &state);
        if (status == RH_OK) {
          ok.fetch_add(1);
          if (state.run_id != id || state.state != StateId::Completed) wrong_state.fetch_add(1);
        } else if (status == RH_TIMEOUT) {
          timed_out.fetch_add(1);
        }
      }
    });
  }
  // The publisher walks the ids in the order the waiters do, so a run often ends exactly
  // while its waiter is between the cache check and going to sleep.
  std::thread publisher([&] {
    start.arrive_and_wait();
    for (std::uint64_t i = 0; i < kIdsPerThread; ++i) {
      for (int t = 0; t < kThreads; ++t) publish_completed(bus, base + t * kIdsPerThread + i);
      if (publisher_yields) std::this_thread::yield();
    }
  });
  publisher.join();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(timed_out.load(), 0u) << "lost wake-ups";
  EXPECT_EQ(wrong_state.load(), 0u);
  EXPECT_EQ(ok.load(), kThreads * kIdsPerThread);
}

TEST(TaskRunWaiterRace, NoWaitIsLostWhileRunsEndAsWaitsStart) { race_waits_against_ends(false); }

TEST(TaskRunWaiterRace, NoWaitIsLostWhenRunsEndWhileWaitsRegister) { race_waits_against_ends(true); }

TEST(TaskRunWaiterRace, ManyWaitersPerRunAllWake) {
  Watchdog watchdog("TaskRunWaiterRace.ManyWaitersPerRunAllWake");
  constexpr int kWaiters = 8;
  constexpr std::uint64_t kIds = 4000;
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{kIds * 2, 600});
  const std::uint64_t base = fresh_ids(kIds);
  const std::int64_t deadline = hang_guard_deadline();
  StartLine start(kWaiters + 1);
  std::atomic<std::uint64_t> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWaiters; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (std::uint64_t id = base; id < base + kIds; ++id) {
        if (guarded_wait(waiter, id, deadline) == RH_OK) ok.fetch_add(1);
      }
    });
  }
  std::thread publisher([&] {
    start.arrive_and_wait();
    for (std::uint64_t id = base; id < base + kIds; ++id) {
      publish_completed(bus, id);
      std::this_thread::yield();
    }
  });
  publisher.join();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kWaiters * kIds);
}

TEST(TaskRunWaiterRace, CallbacksRegisteredWhileRunsEndRunExactlyOnce) {
  Watchdog watchdog("TaskRunWaiterRace.CallbacksRegisteredWhileRunsEndRunExactlyOnce");
  constexpr int kRegistrars = 8;
  constexpr std::uint64_t kIds = 4000;
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{kIds * 2, 600});
  const std::uint64_t base = fresh_ids(kIds);
  std::vector<std::atomic<int>> calls(kIds);
  std::atomic<std::uint64_t> wrong_id{0};
  StartLine start(kRegistrars + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kRegistrars; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (std::uint64_t i = 0; i < kIds; ++i) {
        waiter.add_done_callback(base + i, [&, i](std::uint64_t id) {
          if (id != base + i) wrong_id.fetch_add(1);
          calls[i].fetch_add(1);
        });
      }
    });
  }
  std::thread publisher([&] {
    start.arrive_and_wait();
    for (std::uint64_t i = 0; i < kIds; ++i) publish_completed(bus, base + i);
  });
  publisher.join();
  for (auto& thread : threads) thread.join();
  // Callbacks run synchronously (in add_done_callback or in publish), so all have run here.
  std::uint64_t wrong_count = 0;
  for (std::uint64_t i = 0; i < kIds; ++i) wrong_count += calls[i].load() == kRegistrars ? 0 : 1;
  EXPECT_EQ(wrong_count, 0u) << "runs whose callbacks did not run exactly once each";
  EXPECT_EQ(wrong_id.load(), 0u);
}

// stop() racing with waits and events: every wait ends, either RH_OK or RH_STOPPED.
TEST(TaskRunWaiterRace, StopDuringWaitsEndsEveryWait) {
  Watchdog watchdog("TaskRunWaiterRace.StopDuringWaitsEndsEveryWait");
  constexpr int kWaiters = 8;
  constexpr std::uint64_t kIds = 2000;
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{kWaiters * kIds * 2, 600});
  const std::uint64_t base = fresh_ids(kWaiters * kIds);
  const std::int64_t deadline = hang_guard_deadline();
  StartLine start(kWaiters + 1);
  std::atomic<std::uint64_t> ended{0};
  std::atomic<std::uint64_t> timed_out{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWaiters; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (std::uint64_t i = 0; i < kIds; ++i) {
        const std::int32_t status = guarded_wait(waiter, base + t * kIds + i, deadline);
        if (status == RH_OK || status == RH_STOPPED) ended.fetch_add(1);
        if (status == RH_TIMEOUT) timed_out.fetch_add(1);
      }
    });
  }
  std::thread publisher([&] {
    start.arrive_and_wait();
    // Half of every waiter's runs end; then the waiter stops while waits are pending.
    for (std::uint64_t i = 0; i < kIds / 2; ++i) {
      for (int t = 0; t < kWaiters; ++t) publish_completed(bus, base + t * kIds + i);
    }
    waiter.stop();
  });
  publisher.join();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(timed_out.load(), 0u);
  EXPECT_EQ(ended.load(), kWaiters * kIds);
}

}  // namespace
}  // namespace rh::testing
