// The process-wide waiter: instance() is the same object until stop(), then a new one; it
// listens on EventBus::global(); set_instance_options() applies to the next instance.
#include "waiter_support.hpp"

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

// Leaves a fresh default-configured instance behind, whatever the test did.
class TaskRunWaiterInstance : public ::testing::Test {
 protected:
  void TearDown() override {
    TaskRunWaiter::set_instance_options(WaiterOptions{});
    TaskRunWaiter::instance()->stop();
  }
};

TEST_F(TaskRunWaiterInstance, SameObjectUntilStopThenANewOne) {
  const std::shared_ptr<TaskRunWaiter> first = TaskRunWaiter::instance();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(TaskRunWaiter::instance(), first);
  EXPECT_EQ(TaskRunWaiter::instance(), first);
  first->stop();
  const std::shared_ptr<TaskRunWaiter> second = TaskRunWaiter::instance();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_FALSE(second->stopped());
  EXPECT_TRUE(first->stopped());
  EXPECT_EQ(TaskRunWaiter::instance(), second);
}

TEST_F(TaskRunWaiterInstance, ListensOnTheGlobalBus) {
  const std::uint64_t id = fresh_ids(1);
  auto waiter = TaskRunWaiter::instance();
  int calls = 0;
  waiter->add_done_callback(id, [&](std::uint64_t) { ++calls; });
  publish_state(EventBus::global(), id, StateId::Cached);
  EXPECT_EQ(calls, 1);
  host::FinalState state;
  EXPECT_EQ(TaskRunWaiter::instance()->wait_for_task_run(id, host::monotonic_ns(), &state), RH_OK);
  EXPECT_EQ(state.state, StateId::Cached);
}

TEST_F(TaskRunWaiterInstance, StoppedInstanceEndsItsWaitsAndTheNextOneWorks) {
  const std::uint64_t id = fresh_ids(1);
  auto old = TaskRunWaiter::instance();
  old->stop();
  EXPECT_EQ(old->wait_for_task_run(id, hang_guard_deadline(), nullptr), RH_STOPPED);
  auto next = TaskRunWaiter::instance();
  publish_completed(EventBus::global(), id);
  EXPECT_EQ(next->wait_for_task_run(id, host::monotonic_ns(), nullptr), RH_OK);
  EXPECT_FALSE(old->lookup(id).has_value()) << "a stopped instance no longer listens";
}

TEST_F(TaskRunWaiterInstance, SetInstanceOptionsAppliesToTheNextInstance) {
  auto current = TaskRunWaiter::instance();
  const WaiterOptions before = current->options();
  TaskRunWaiter::set_instance_options(WaiterOptions{7, 1.5});
  EXPECT_EQ(TaskRunWaiter::instance(), current) << "the running instance is kept";
  EXPECT_EQ(current->options().max_entries, before.max_entries);
  EXPECT_EQ(current->options().ttl_seconds, before.ttl_seconds);
  current->stop();
  auto next = TaskRunWaiter::instance();
  EXPECT_EQ(next->options().max_entries, 7u);
  EXPECT_EQ(next->options().ttl_seconds, 1.5);
  // The bound is real: eight runs end, the oldest is gone.
  const std::uint64_t base = fresh_ids(8);
  for (std::uint64_t i = 0; i < 8; ++i) publish_completed(EventBus::global(), base + i);
  EXPECT_EQ(next->cached(), 7u);
  EXPECT_FALSE(next->lookup(base).has_value());
  EXPECT_TRUE(next->lookup(base + 7).has_value());
}

TEST_F(TaskRunWaiterInstance, ConcurrentFirstCallsShareOneInstance) {
  TaskRunWaiter::instance()->stop();
  constexpr int kThreads = 16;
  std::vector<std::shared_ptr<TaskRunWaiter>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { seen[i] = TaskRunWaiter::instance(); });
  for (auto& thread : threads) thread.join();
  for (const auto& waiter : seen) EXPECT_EQ(waiter, seen.front());
  EXPECT_FALSE(seen.front()->stopped());
}

}  // namespace
}  // namespace rh::testing
