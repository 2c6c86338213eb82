// The waiter wakes for every terminal state, whatever its name (Completed, Cached, Failed,
// TimedOut, Crashed, Cancelled, NotReady: DESIGN.md section 4, unlike Prefect's filter on
// four names), and for nothing else: not for non-terminal states, not for flow runs.
#include "waiter_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace rh::testing {
namespace {

using host::EventBus;
using host::FinalState;
using host::StateId;
using host::TaskRunWaiter;
using host::WaiterOptions;

struct StateCase {
  StateId state;
  bool wakes;
};

// Every state of the engine, with whether a run entering it has ended.
const StateCase kStates[] = {
    {StateId::Pending, false},  {StateId::NotReady, true},  {StateId::AwaitingRetry, false}, {StateId::Running, false},
    {StateId::Retrying, false}, {StateId::Completed, true}, {StateId::Cached, true},         {StateId::Failed, true},
    {StateId::TimedOut, true},  {StateId::Crashed, true},   {StateId::Cancelled, true},
};

class TaskRunWaiterStates : public ::testing::TestWithParam<StateCase> {};

TEST_P(TaskRunWaiterStates, WakesExactlyForTerminalStates) {
  const StateCase c = GetParam();
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  int calls = 0;
  waiter.add_done_callback(1, [&](std::uint64_t) { ++calls; });
  Arrivals announced;
  std::atomic<long> tid{0};
  std::int32_t status = -1;
  FinalState state;
  // A terminal state wakes the blocked wait at once; otherwise the test ends the wait
  // with a terminal event of its own after checking nothing happened.
  std::thread waiting([&] {
    tid = current_tid();
    announced.arrive();
    status = guarded_wait(waiter, 1, hang_guard_deadline(), &state);
  });
  ASSERT_TRUE(announced.wait_for(1));
  ASSERT_TRUE(wait_until_sleeping(tid));
  publish_state(bus, 1, c.state);
  if (c.wakes) {
    waiting.join();
    EXPECT_EQ(status, RH_OK);
    EXPECT_EQ(state.state, c.state);
    EXPECT_EQ(calls, 1);
    ASSERT_TRUE(waiter.lookup(1).has_value());
    EXPECT_EQ(waiter.lookup(1)->state, c.state);
  } else {
    EXPECT_EQ(calls, 0);
    EXPECT_FALSE(waiter.lookup(1).has_value());
    EXPECT_EQ(waiter.wait_for_task_run(1, deadline_after_seconds(0.02), nullptr), RH_TIMEOUT);
    publish_state(bus, 1, StateId::Completed);
    waiting.join();
    EXPECT_EQ(status, RH_OK);
    EXPECT_EQ(state.state, StateId::Completed) << "woken by the later terminal event, not by this one";
    EXPECT_EQ(calls, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStates, TaskRunWaiterStates, ::testing::ValuesIn(kStates),
                         [](const ::testing::TestParamInfo<StateCase>& info) {
                           return std::string(host::state_name(info.param.state));
                         });

// The seven terminal names, checked against the engine's state table, so a state added
// later without updating this suite is noticed.
TEST(TaskRunWaiterStateTable, TheTerminalStatesAreTheSevenNamed) {
  int terminal = 0;
  for (int i = 0; i < host::kStateCount; ++i) {
    const auto id = static_cast<StateId>(i);
    bool listed = false;
    for (const StateCase& c : kStates) {
      if (c.state == id) {
        listed = true;
        EXPECT_EQ(host::is_terminal(id), c.wakes) << host::state_name(id);
      }
    }
    EXPECT_TRUE(listed) << host::state_name(id) << " is not covered";
    terminal += host::is_terminal(id) ? 1 : 0;
  }
  EXPECT_EQ(terminal, 7);
}

TEST(TaskRunWaiterEvents, FlowRunEventsAreIgnored) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  int calls = 0;
  waiter.add_done_callback(6, [&](std::uint64_t) { ++calls; });
  host::TaskRunEvent flow_event = task_event(6, StateId::Completed);
  flow_event.is_flow_run = true;
  bus.publish(flow_event);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(waiter.lookup(6).has_value());
  EXPECT_EQ(waiter.wait_for_task_run(6, deadline_after_seconds(0.02), nullptr), RH_TIMEOUT);
  publish_completed(bus, 6);  // the task run with that id
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace rh::testing
