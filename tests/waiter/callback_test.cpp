// add_done_callback: every callback registered for a run runs exactly once, at once (in the
// caller) if the run already ended; a throwing callback is logged and stops neither the
// other callbacks nor the waiter.
#include "log_capture.hpp"
#include "waiter_support.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

using host::EventBus;
using host::StateId;
using host::TaskRunWaiter;
using host::WaiterOptions;

TEST(TaskRunWaiterCallbacks, EveryCallbackOfARunRunsExactlyOnce) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  std::vector<std::uint64_t> calls;  // the run id each call received, in call order
  for (int i = 0; i < 3; ++i) waiter.add_done_callback(1, [&](std::uint64_t id) { calls.push_back(id); });
  waiter.add_done_callback(2, [&](std::uint64_t id) { calls.push_back(id); });
  EXPECT_TRUE(calls.empty());
  publish_completed(bus, 2);
  EXPECT_EQ(calls, (std::vector<std::uint64_t>{2}));
  publish_state(bus, 1, StateId::Running);
  EXPECT_EQ(calls.size(), 1u) << "not before the run ends";
  publish_completed(bus, 1);
  EXPECT_EQ(calls, (std::vector<std::uint64_t>{2, 1, 1, 1}));
  // A second terminal event for the same run (should one ever come) calls nothing again.
  publish_completed(bus, 1);
  publish_completed(bus, 2);
  EXPECT_EQ(calls.size(), 4u);
}

TEST(TaskRunWaiterCallbacks, CallbackForAnEndedRunRunsAtOnceInTheCaller) {
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  publish_state(bus, 4, StateId::TimedOut);
  std::thread::id caller;
  std::uint64_t received = 0;
  waiter.add_done_callback(4, [&](std::uint64_t id) {
    caller = std::this_thread::get_id();
    received = id;
  });
  EXPECT_EQ(received, 4u) << "called before add_done_callback returned";
  EXPECT_EQ(caller, std::this_thread::get_id());
  int more = 0;
  waiter.add_done_callback(4, [&](std::uint64_t) { ++more; });
  waiter.add_done_callback(4, [&](std::uint64_t) { ++more; });
  EXPECT_EQ(more, 2);
}

TEST(TaskRunWaiterCallbacks, ThrowingCallbacksAreLoggedAndOthersStillRun) {
  LogCapture log;
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  std::vector<std::string> calls;
  waiter.add_done_callback(7, [&](std::uint64_t) { calls.push_back("first"); });
  waiter.add_done_callback(7, [](std::uint64_t) { throw std::runtime_error("callback boom"); });
  waiter.add_done_callback(7, [](std::uint64_t) { throw 42; });
  waiter.add_done_callback(7, [&](std::uint64_t) { calls.push_back("last"); });
  int other_subscriber = 0;
  bus.subscribe([&](const host::TaskRunEvent&) { ++other_subscriber; });
  EXPECT_NO_THROW(publish_completed(bus, 7));
  EXPECT_EQ(calls, (std::vector<std::string>{"first", "last"}));
  EXPECT_EQ(other_subscriber, 1) << "the exception did not escape into the bus";
  EXPECT_TRUE(log.contains("callback boom")) << log.text();
  EXPECT_TRUE(log.contains("non-standard exception")) << log.text();
  // The waiter goes on: the run is cached, and later runs still wake waits and callbacks.
  EXPECT_EQ(waiter.wait_for_task_run(7, host::monotonic_ns(), nullptr), RH_OK);
  int later = 0;
  waiter.add_done_callback(8, [&](std::uint64_t) { ++later; });
  publish_completed(bus, 8);
  EXPECT_EQ(later, 1);
  EXPECT_EQ(waiter.wait_for_task_run(8, host::monotonic_ns(), nullptr), RH_OK);
  EXPECT_FALSE(waiter.stopped());
}

TEST(TaskRunWaiterCallbacks, ThrowingCallbackForAnEndedRunIsLoggedNotThrown) {
  LogCapture log;
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  publish_completed(bus, 9);
  EXPECT_NO_THROW(waiter.add_done_callback(9, [](std::uint64_t) { throw std::logic_error("late boom"); }));
  EXPECT_NO_THROW(waiter.add_done_callback(9, [](std::uint64_t) { throw "a C string"; }));
  EXPECT_TRUE(log.contains("late boom")) << log.text();
  EXPECT_TRUE(log.contains("non-standard exception")) << log.text();
  int calls = 0;
  waiter.add_done_callback(9, [&](std::uint64_t) { ++calls; });
  EXPECT_EQ(calls, 1);
}

// Callbacks run outside the waiter's lock: one may call back into the waiter.
TEST(TaskRunWaiterCallbacks, CallbackMayUseTheWaiter) {
  Watchdog watchdog("TaskRunWaiterCallbacks.CallbackMayUseTheWaiter");
  EventBus bus;
  TaskRunWaiter waiter(bus, WaiterOptions{});
  bool cached_inside = false;
  int nested = 0;
  std::int32_t wait_inside = -1;
  waiter.add_done_callback(3, [&](std::uint64_t id) {
    cached_inside = waiter.lookup(id).has_value();
    wait_inside = waiter.wait_for_task_run(id, host::monotonic_ns(), nullptr);
    waiter.add_done_callback(id, [&](std::uint64_t) { ++nested; });
  });
  publish_completed(bus, 3);
  EXPECT_TRUE(cached_inside);
  EXPECT_EQ(wait_inside, RH_OK);
  EXPECT_EQ(nested, 1);
}

}  // namespace
}  // namespace rh::testing
