// TimerService: callbacks run on the timer thread in deadline order; cancel() wins only
// before a callback starts. Each test uses its own service. To make orderings deterministic
// without sleeping, a "gate" callback holds the timer thread while the test schedules the
// timers under test with deadlines already in the past; opening the gate lets them all run.
// What the callbacks touch (gates, recorders, marks) is declared before the service, so the
// service's destructor joins the timer thread before they are destroyed: a recorder destroyed
// first was still being notified by the thread that had just recorded into it.
#include "runtime/timer_service.hpp"
#include "base/clock.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace {

using rh::host::monotonic_ns;
using rh::host::TimerService;

// Holds the timer thread inside a callback until open() is called.
class Gate {
 public:
  static void hold(void* arg) {
    auto* gate = static_cast<Gate*>(arg);
    gate->entered_.set_value();
    std::unique_lock<std::mutex> lock(gate->mutex_);
    gate->cv_.wait(lock, [gate] { return gate->open_; });
  }
  // Schedules the gate (due at once) and returns its timer id.
  std::uint64_t schedule_on(TimerService& timers) { return timers.schedule(0, &Gate::hold, this); }
  // Returns once the timer thread is inside the gate.
  void wait_entered() { entered_.get_future().wait(); }
  void close_on(TimerService& timers) {
    schedule_on(timers);
    wait_entered();
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::promise<void> entered_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Records the order callbacks ran in, and lets the test wait for a number of them.
class Recorder {
 public:
  struct Mark {
    Recorder* recorder;
    std::string name;
  };
  static void record(void* arg) {
    auto* mark = static_cast<Mark*>(arg);
    {
      std::lock_guard<std::mutex> lock(mark->recorder->mutex_);
      mark->recorder->order_.push_back(mark->name);
    }
    mark->recorder->cv_.notify_all();
  }
  std::vector<std::string> wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return order_.size() >= count; });
    return order_;
  }
  std::vector<std::string> order() {
    std::lock_guard<std::mutex> lock(mutex_);
    return order_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> order_;
};

TEST(TimerService, IdsArePositiveAndDistinct) {
  Recorder recorder;
  Recorder::Mark mark{&recorder, "x"};
  TimerService timers;
  const auto far = monotonic_ns() + 3600'000'000'000;  // never reached: cancelled below
  const auto a = timers.schedule(far, &Recorder::record, &mark);
  const auto b = timers.schedule(far, &Recorder::record, &mark);
  EXPECT_GT(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(timers.cancel(a));
  EXPECT_TRUE(timers.cancel(b));
}

TEST(TimerService, CallbacksRunInDeadlineOrder) {
  Gate gate;
  Recorder recorder;
  Recorder::Mark first{&recorder, "first"}, second{&recorder, "second"}, third{&recorder, "third"};
  TimerService timers;
  gate.close_on(timers);
  // Scheduled out of order; all due (past deadlines), so only the deadline decides.
  timers.schedule(30, &Recorder::record, &third);
  timers.schedule(10, &Recorder::record, &first);
  timers.schedule(20, &Recorder::record, &second);
  gate.open();
  EXPECT_EQ(recorder.wait_for(3), (std::vector<std::string>{"first", "second", "third"}));
}

TEST(TimerService, EqualDeadlinesRunInSchedulingOrder) {
  Gate gate;
  Recorder recorder;
  Recorder::Mark a{&recorder, "a"}, b{&recorder, "b"}, c{&recorder, "c"};
  TimerService timers;
  gate.close_on(timers);
  for (auto* mark : {&a, &b, &c}) timers.schedule(5, &Recorder::record, mark);
  gate.open();
  EXPECT_EQ(recorder.wait_for(3), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TimerService, FutureDeadlineRunsAfterDueOnes) {
  Gate gate;
  Recorder recorder;
  Recorder::Mark soon{&recorder, "soon"}, now{&recorder, "now"};
  TimerService timers;
  gate.close_on(timers);
  // "soon" is due shortly after "now"; if it is not yet due when "now" has run, the thread
  // must sleep until its deadline and wake for it on its own.
  timers.schedule(monotonic_ns() + 20'000'000, &Recorder::record, &soon);
  timers.schedule(0, &Recorder::record, &now);
  gate.open();
  EXPECT_EQ(recorder.wait_for(2), (std::vector<std::string>{"now", "soon"}));
}

TEST(TimerService, CancelBeforeFiringPreventsTheCallback) {
  Gate gate;
  Recorder recorder;
  Recorder::Mark cancelled{&recorder, "cancelled"}, sentinel{&recorder, "sentinel"};
  TimerService timers;
  gate.close_on(timers);
  const auto id = timers.schedule(10, &Recorder::record, &cancelled);
  EXPECT_EQ(timers.pending(), 1u);
  EXPECT_TRUE(timers.cancel(id));
  EXPECT_EQ(timers.pending(), 0u);
  EXPECT_FALSE(timers.cancel(id));  // already gone
  // The sentinel is due after the cancelled timer would have been: once it ran, the
  // cancelled one would have run too.
  timers.schedule(20, &Recorder::record, &sentinel);
  gate.open();
  recorder.wait_for(1);
  EXPECT_EQ(recorder.order(), std::vector<std::string>{"sentinel"});
}

TEST(TimerService, CancelAfterFiringReturnsFalse) {
  Recorder recorder;
  Recorder::Mark mark{&recorder, "fired"};
  TimerService timers;
  const auto id = timers.schedule(0, &Recorder::record, &mark);
  recorder.wait_for(1);
  EXPECT_FALSE(timers.cancel(id));
  EXPECT_FALSE(timers.cancel(987654321));  // never issued
}

TEST(TimerService, CancelWhileFiringReturnsFalse) {
  Gate gate;
  TimerService timers;
  const auto id = gate.schedule_on(timers);
  gate.wait_entered();  // the callback has started: too late to cancel
  EXPECT_FALSE(timers.cancel(id));
  gate.open();
}

TEST(TimerService, PendingCountsTimersNotYetFired) {
  Gate gate;
  Recorder recorder;
  Recorder::Mark a{&recorder, "a"}, b{&recorder, "b"}, c{&recorder, "c"};
  TimerService timers;
  EXPECT_EQ(timers.pending(), 0u);
  gate.close_on(timers);
  EXPECT_EQ(timers.pending(), 0u);  // the gate is running, no longer pending
  timers.schedule(1, &Recorder::record, &a);
  const auto id_b = timers.schedule(2, &Recorder::record, &b);
  timers.schedule(3, &Recorder::record, &c);
  EXPECT_EQ(timers.pending(), 3u);
  EXPECT_TRUE(timers.cancel(id_b));
  EXPECT_EQ(timers.pending(), 2u);
  gate.open();
  EXPECT_EQ(recorder.wait_for(2), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(timers.pending(), 0u);  // removed before its callback ran
}

TEST(TimerService, DestroyingWithPendingTimersDoesNotRunThem) {
  Recorder recorder;
  Recorder::Mark mark{&recorder, "late"};
  {
    TimerService timers;
    timers.schedule(monotonic_ns() + 3600'000'000'000, &Recorder::record, &mark);
    EXPECT_EQ(timers.pending(), 1u);
  }  // joins the timer thread
  EXPECT_TRUE(recorder.order().empty());
}

}  // namespace

namespace {

// A deadline at the far end of the clock (INT64_MAX is "never") must not make the timer
// thread spin: the library's wait_for adds the duration to its own now and overflowed into
// the past, so the thread woke at once, forever, and starved cancel() and new timers.
TEST(TimerService, FarDeadlinesDoNotMakeTheThreadSpin) {
  TimerService timers;
  std::promise<void> near_fired;
  auto fire = [](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); };
  const std::uint64_t never = timers.schedule(
      INT64_MAX, +[](void*) {}, nullptr);
  const std::uint64_t far = timers.schedule(
      INT64_MAX - 1, +[](void*) {}, nullptr);
  timers.schedule(monotonic_ns() + 50'000'000, fire, &near_fired);  // 50 ms
  near_fired.get_future().wait();
  // Woken by each schedule and once for the near deadline; a spinning thread counts
  // millions in 50 ms.
  EXPECT_LT(timers.wakeups(), 20u);
  EXPECT_TRUE(timers.cancel(far));
  EXPECT_TRUE(timers.cancel(never));
  EXPECT_EQ(timers.pending(), 0u);
}

}  // namespace
