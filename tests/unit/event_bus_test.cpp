// EventBus: synchronous fan-out to subscribers in subscription order; a throwing
// subscriber is logged and does not stop the others; unsubscribe is final.
#include "events/event_bus.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using rh::host::EventBus;
using rh::host::StateId;
using rh::host::TaskRunEvent;

TaskRunEvent completed_event(std::uint64_t run_id) {
  TaskRunEvent event;
  event.id = 7;
  event.run_id = run_id;
  event.run_name = "add-1a2";
  event.task_name = "add";
  event.run_count = 1;
  event.state = StateId::Completed;
  event.previous = StateId::Running;
  return event;
}

TEST(EventBus, PublishWithoutSubscribersDoesNothing) {
  EventBus bus;
  EXPECT_FALSE(bus.has_subscribers());
  EXPECT_NO_THROW(bus.publish(completed_event(1)));
}

TEST(EventBus, SubscriberSeesTheEvent) {
  EventBus bus;
  std::vector<std::string> seen;
  bus.subscribe([&](const TaskRunEvent& e) {
    seen.push_back(e.name() + " " + std::to_string(e.run_id) + " " + std::string(e.task_name));
  });
  EXPECT_TRUE(bus.has_subscribers());
  bus.publish(completed_event(5));
  EXPECT_EQ(seen, std::vector<std::string>{"task-run.Completed 5 add"});
}

TEST(EventBus, FlowRunEventsAreNamedAsSuch) {
  TaskRunEvent event = completed_event(1);
  event.is_flow_run = true;
  event.state = StateId::AwaitingRetry;
  EXPECT_EQ(event.name(), "flow-run.AwaitingRetry");
}

TEST(EventBus, UnsubscribedHandlerIsNotCalledAgain) {
  EventBus bus;
  int calls = 0;
  const auto id = bus.subscribe([&](const TaskRunEvent&) { ++calls; });
  bus.publish(completed_event(1));
  bus.unsubscribe(id);
  EXPECT_FALSE(bus.has_subscribers());
  bus.publish(completed_event(2));
  EXPECT_EQ(calls, 1);
  bus.unsubscribe(id);     // twice: harmless
  bus.unsubscribe(12345);  // unknown: harmless
}

TEST(EventBus, SeveralSubscribersInSubscriptionOrder) {
  EventBus bus;
  std::vector<int> order;
  const auto first = bus.subscribe([&](const TaskRunEvent&) { order.push_back(1); });
  bus.subscribe([&](const TaskRunEvent&) { order.push_back(2); });
  bus.subscribe([&](const TaskRunEvent&) { order.push_back(3); });
  EXPECT_NE(first, 0u);
  bus.publish(completed_event(1));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  // Removing one leaves the others, still in order.
  bus.unsubscribe(first);
  order.clear();
  bus.publish(completed_event(2));
  EXPECT_EQ(order, (std::vector<int>{2, 3}));
}

TEST(EventBus, ThrowingSubscriberDoesNotStopTheOthers) {
  EventBus bus;
  std::vector<int> order;
  bus.subscribe([&](const TaskRunEvent&) { order.push_back(1); });
  bus.subscribe([](const TaskRunEvent&) { throw std::runtime_error("subscriber failed"); });
  bus.subscribe([](const TaskRunEvent&) { throw 42; });  // not even an exception object
  bus.subscribe([&](const TaskRunEvent&) { order.push_back(4); });
  EXPECT_NO_THROW(bus.publish(completed_event(1)));
  EXPECT_NO_THROW(bus.publish(completed_event(2)));
  EXPECT_EQ(order, (std::vector<int>{1, 4, 1, 4}));
}

TEST(EventBus, EventIdsIncrease) {
  EventBus bus;
  const auto a = bus.next_event_id();
  const auto b = bus.next_event_id();
  EXPECT_GT(b, a);
}

// unsubscribe() promises the handler is not running once it returns. The handler is held
// inside a publish on another thread; unsubscribe runs on a third. Whatever the interleaving,
// when unsubscribe returns the handler must have finished (checked without any sleep: an
// early return is caught whenever it happens).
TEST(EventBus, UnsubscribeWaitsForARunningHandler) {
  EventBus bus;
  std::promise<void> entered;
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> handler_done{false};
  const auto id = bus.subscribe([&](const TaskRunEvent&) {
    entered.set_value();
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return release; });
    handler_done = true;
  });
  std::thread publisher([&] { bus.publish(completed_event(1)); });
  entered.get_future().wait();
  std::atomic<bool> done_when_unsubscribed{false};
  std::thread unsubscriber([&] {
    bus.unsubscribe(id);
    done_when_unsubscribed = handler_done.load();
  });
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
  unsubscriber.join();
  publisher.join();
  EXPECT_TRUE(done_when_unsubscribed);
}

}  // namespace
