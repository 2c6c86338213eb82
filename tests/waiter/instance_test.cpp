// A session's waiter: instance() is the same object until stop(), then a new one; it
// listens on the session's bus; set_instance_options() applies to the next instance.
#include "waiter_support.hpp"

#include "events/waiter_registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

using host::EventBus;
using host::StateId;
using host::TaskRunWaiter;
using host::WaiterOptions;

// A bus and its registry, as a session has them.
class TaskRunWaiterInstance : public ::testing::Test {
 protected:
  EventBus bus_;
  host::WaiterRegistry waiters_{bus_, host::thread_blocker()};
};

TEST_F(TaskRunWaiterInstance, SameObjectUntilStopThenANewOne) {
  const std::shared_ptr<TaskRunWaiter> first = waiters_.instance();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(waiters_.instance(), first);
  EXPECT_EQ(waiters_.instance(), first);
  first->stop();
  const std::shared_ptr<TaskRunWaiter> second = waiters_.instance();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_FALSE(second->stopped());
  EXPECT_TRUE(first->stopped());
  EXPECT_EQ(waiters_.instance(), second);
}

TEST_F(TaskRunWaiterInstance, ListensOnTheSessionBus) {
  const std::uint64_t id = fresh_ids(1);
  auto waiter = waiters_.instance();
  int calls = 0;
  waiter->add_done_callback(id, [&](std::uint64_t) { ++calls; });
  publish_state(bus_, id, StateId::Cached);
  EXPECT_EQ(calls, 1);
  host::FinalState state;
  EXPECT_EQ(waiters_.instance()->wait_for_task_run(id, host::monotonic_ns(), &state), RH_OK);
  EXPECT_EQ(state.state, StateId::Cached);
}

TEST_F(TaskRunWaiterInstance, StoppedInstanceEndsItsWaitsAndTheNextOneWorks) {
  const std::uint64_t id = fresh_ids(1);
  auto old = waiters_.instance();
  old->stop();
  EXPECT_EQ(old->wait_for_task_run(id, hang_guard_deadline(), nullptr), RH_STOPPED);
  auto next = waiters_.instance();
  publish_completed(bus_, id);
  EXPECT_EQ(next->wait_for_task_run(id, host::monotonic_ns(), nullptr), RH_OK);
  EXPECT_FALSE(old->lookup(id).has_value()) << "a stopped instance no longer listens";
}

TEST_F(TaskRunWaiterInstance, SetInstanceOptionsAppliesToTheNextInstance) {
  auto current = waiters_.instance();
  const WaiterOptions before = current->options();
  waiters_.set_instance_options(WaiterOptions{7, 1.5});
  EXPECT_EQ(waiters_.instance(), current) << "the running instance is kept";
  EXPECT_EQ(current->options().max_entries, before.max_entries);
  EXPECT_EQ(current->options().ttl_seconds, before.ttl_seconds);
  current->stop();
  auto next = waiters_.instance();
  EXPECT_EQ(next->options().max_entries, 7u);
  EXPECT_EQ(next->options().ttl_seconds, 1.5);
  // The bound is real: eight runs end, the oldest is gone.
  const std::uint64_t base = fresh_ids(8);
  for (std::uint64_t i = 0; i < 8; ++i) publish_completed(bus_, base + i);
  EXPECT_EQ(next->cached(), 7u);
  EXPECT_FALSE(next->lookup(base).has_value());
  EXPECT_TRUE(next->lookup(base + 7).has_value());
}

TEST_F(TaskRunWaiterInstance, ConcurrentFirstCallsShareOneInstance) {
  waiters_.instance()->stop();
  constexpr int kThreads = 16;
  std::vector<std::shared_ptr<TaskRunWaiter>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { seen[i] = waiters_.instance(); });
  for (auto& thread : threads) thread.join();
  for (const auto& waiter : seen) EXPECT_EQ(waiter, seen.front());
  EXPECT_FALSE(seen.front()->stopped());
}

}  // namespace
}  // namespace rh::testing
