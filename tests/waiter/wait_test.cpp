// host::TaskRunWaiter::wait_for_task_run on a private EventBus with synthetic events: the
// final state of a run that ends later, at once for a run that already ended, RH_TIMEOUT
// when the deadline passes first (and the run can still be waited for afterwards), stop().
#include "waiter_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

using host::EventBus;
using host::FinalState;
using host::StateId;
using host::TaskRunWaiter;
using host::WaiterOptions;

// A thread blocked in wait_for_task_run, with what the wait returned once joined.
class BlockedWait {
 public:
  BlockedWait(TaskRunWaiter& waiter, std::uint64_t run_id, std::int64_t deadline)
      : thread_([this, &waiter, run_id, deadline] {
          tid_ = current_tid();
          announced_.arrive();
          status_ = guarded_wait(waiter, run_id, deadline, &state_);
        }) {
    EXPECT_TRUE(announced_.wait_for(1));
    EXPECT_TRUE(wait_until_sleeping(tid_)) << "the waiting thread never blocked";
  }
  ~BlockedWait() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  std::int32_t status() {
    join();
    return status_;
  }
  const FinalState& state() {
    join();
    return state_;
  }

 private:
  Arrivals announced_;
  std::atomic<long> tid_{0};
  std::int32_t status_ = -1;
  FinalState state_;
  std::thread thread_;
};

TEST(TaskRunWaiterWait, ReturnsTheFinalStateOfARunThatEndsLater) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  BlockedWait wait(waiter, 42, hang_guard_deadline());
  publish_state(bus, 42, StateId::Running);  // not terminal: the wait goes on
  host::TaskRunEvent event = task_event(42, StateId::Failed);
  event.message = "Task run encountered an exception";
  event.run_count = 3;
  event.flow_run_id = 9;
  bus.publish(event);
  ASSERT_EQ(wait.status(), RH_OK);
  const FinalState& state = wait.state();
  EXPECT_EQ(state.run_id, 42u);
  EXPECT_EQ(state.state, StateId::Failed);
  EXPECT_EQ(state.message, "Task run encountered an exception");
  EXPECT_EQ(state.run_count, 3u);
  EXPECT_EQ(state.flow_run_id, 9u);
  EXPECT_EQ(state.task_name, "work");
  EXPECT_EQ(state.run_name, "work-3fa");
  EXPECT_EQ(state.time_us, event.time_us);
}

TEST(TaskRunWaiterWait, EveryWaiterOfTheRunWakes) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  std::vector<std::unique_ptr<BlockedWait>> waits;
  for (int i = 0; i < 4; ++i) waits.push_back(std::make_unique<BlockedWait>(waiter, 5, hang_guard_deadline()));
  publish_completed(bus, 5);
  for (auto& wait : waits) {
    EXPECT_EQ(wait->status(), RH_OK);
    EXPECT_EQ(wait->state().state, StateId::Completed);
  }
}

TEST(TaskRunWaiterWait, ReturnsAtOnceForARunThatAlreadyEnded) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  publish_state(bus, 8, StateId::Cancelled);
  FinalState state;
  // A deadline that has already passed: only the completion cache can answer RH_OK.
  ASSERT_EQ(waiter.wait_for_task_run(8, host::monotonic_ns(), &state), RH_OK);
  EXPECT_EQ(state.run_id, 8u);
  EXPECT_EQ(state.state, StateId::Cancelled);
  ASSERT_TRUE(waiter.lookup(8).has_value());
  EXPECT_EQ(waiter.lookup(8)->state, StateId::Cancelled);
  EXPECT_EQ(waiter.cached(), 1u);
}

TEST(TaskRunWaiterWait, TimeoutReturnsRhTimeoutAndTheRunCanStillBeWaitedFor) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  FinalState state;
  state.message = "untouched";
  EXPECT_EQ(waiter.wait_for_task_run(3, deadline_after_seconds(0.02), &state), RH_TIMEOUT);
  EXPECT_EQ(state.message, "untouched");
  EXPECT_EQ(waiter.wait_for_task_run(3, host::monotonic_ns(), &state), RH_TIMEOUT);
  EXPECT_FALSE(waiter.lookup(3).has_value());
  // The run goes on and ends later: a new wait sees it, blocked or not.
  BlockedWait later(waiter, 3, hang_guard_deadline());
  publish_completed(bus, 3);
  EXPECT_EQ(later.status(), RH_OK);
  EXPECT_EQ(waiter.wait_for_task_run(3, host::monotonic_ns(), &state), RH_OK);
  EXPECT_EQ(state.state, StateId::Completed);
}

TEST(TaskRunWaiterWait, AnotherRunEndingDoesNotSatisfyTheWait) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  publish_completed(bus, 1);
  EXPECT_EQ(waiter.wait_for_task_run(2, deadline_after_seconds(0.02), nullptr), RH_TIMEOUT);
  EXPECT_EQ(waiter.wait_for_task_run(1, host::monotonic_ns(), nullptr), RH_OK) << "a null out is allowed";
}

TEST(TaskRunWaiterWait, StopEndsPendingWaitsWithRhStopped) {
  Watchdog watchdog("a wait without deadline survived stop()");
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  BlockedWait first(waiter, 11, hang_guard_deadline());
  BlockedWait second(waiter, 11, hang_guard_deadline());
  BlockedWait other(waiter, 12, RH_DEADLINE_NONE);
  EXPECT_FALSE(waiter.stopped());
  waiter.stop();
  EXPECT_TRUE(waiter.stopped());
  EXPECT_EQ(first.status(), RH_STOPPED);
  EXPECT_EQ(second.status(), RH_STOPPED);
  EXPECT_EQ(other.status(), RH_STOPPED);
  // A wait that starts after stop() does not block either.
  EXPECT_EQ(waiter.wait_for_task_run(13, hang_guard_deadline(), nullptr), RH_STOPPED);
  waiter.stop();  // twice: harmless
  EXPECT_TRUE(waiter.stopped());
}

TEST(TaskRunWaiterWait, StoppedWaiterNoLongerListens) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  EXPECT_TRUE(bus.has_subscribers());
  int calls = 0;
  waiter.add_done_callback(21, [&](std::uint64_t) { ++calls; });
  waiter.stop();
  EXPECT_FALSE(bus.has_subscribers());
  publish_completed(bus, 21);
  EXPECT_FALSE(waiter.lookup(21).has_value());
  EXPECT_EQ(calls, 0);
}

TEST(TaskRunWaiterWait, DestroyingAWaiterUnsubscribesIt) {
  EventBus bus;
  {
    TaskRunWaiter waiter(bus, WaiterOptions{});
    EXPECT_TRUE(bus.has_subscribers());
  }
  EXPECT_FALSE(bus.has_subscribers());
  EXPECT_NO_THROW(publish_completed(bus, 1));
}

TEST(TaskRunWaiterWait, PrivateWaitersOnDifferentBusesAreIndependent) {
  EventBus bus_a;
  EventBus bus_b;
  TaskRunWaiter a(bus_a, WaiterOptions{});
  TaskRunWaiter b(bus_b, WaiterOptions{});
  TaskRunWaiter also_a(bus_a, WaiterOptions{});
  publish_completed(bus_a, 31);
  EXPECT_TRUE(a.lookup(31).has_value());
  EXPECT_TRUE(also_a.lookup(31).has_value());
  EXPECT_FALSE(b.lookup(31).has_value());
  a.stop();  // stopping one leaves the others listening
  publish_completed(bus_a, 32);
  EXPECT_TRUE(also_a.lookup(32).has_value());
  EXPECT_FALSE(a.lookup(32).has_value());
}

}  // namespace
}  // namespace rh::testing
