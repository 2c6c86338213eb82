// Conformance: rh::TaskRunWaiter used from task and flow code on every runner. Waiting
// suspends instead of blocking a worker, runs that ended before the waiter existed are
// found, timeouts return nullopt while the run goes on, a run waiting on itself is refused,
// every terminal state name wakes it, callbacks run once, and instance() identity holds.
#include "waiting_support.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

// Every harness here publishes on the global bus: the process-wide waiter listens there.

// With one worker, a task blocked in wait_for_task_run would keep the run it waits for
// from ever running (the watcher lets it go only once it is about to wait).
TEST_P(RunnerConformance, WaiterWaitInsideATaskSuspendsIt) {
  if (!GetParam().parallel) GTEST_SKIP() << "a sequential runner runs one thing at a time by design";
  if (!GetParam().suspends) GTEST_SKIP() << "the one worker would run the target nested under the wait";
  auto h = harness(/*worker_count=*/1);
  rh::Event watching;
  h->library().task("target", [&]() -> json { return watching.wait(kHangGuard) ? "target done" : "never watched"; });
  h->library().task("watch", [&](const json& p) -> json {
    auto waiter = rh::TaskRunWaiter::instance();
    watching.set();
    const auto state = waiter.wait_for_task_run(p.at("id").get<std::uint64_t>(), kHangGuard);
    return state ? json(state->name) : json("timed out: the waiting task held the only worker");
  });
  h->library().flow("watching", [](rh::FlowContext& flow) -> json {
    rh::Future target = flow.submit("target");
    rh::Future watch = flow.submit("watch", {{"id", target.run_id()}});
    return rh::gather({target, watch});
  });
  auto scope = h->run_flow("watching");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"target done", "Completed"}));
  const auto& target = *runs_of(*scope, "target").at(0);
  const auto& watch = *runs_of(*scope, "watch").at(0);
  EXPECT_LT(target.end_time_us(), watch.end_time_us());
}

// Neither a fresh instance() nor a private waiter saw the run's terminal event: they find
// the run through the engine.
TEST_P(RunnerConformance, WaiterFindsARunThatEndedBeforeItExisted) {
  auto h = harness(4);
  h->library().task("boom", []() -> json { throw std::runtime_error("ended early"); });
  h->library().flow("late_waiters", [](rh::FlowContext& flow) -> json {
    rh::Future boom = flow.submit("boom");
    boom.wait();
    rh::TaskRunWaiter::instance().stop();
    json out = json::array();
    auto fresh = rh::TaskRunWaiter::instance();
    rh::TaskRunWaiter mine;
    const auto start = std::chrono::steady_clock::now();
    for (rh::TaskRunWaiter* waiter : {&fresh, &mine}) {
      const auto state = waiter->wait_for_task_run(boom.run_id(), kHangGuard);
      out.push_back(state ? json{state->name, to_string(state->type), state->final, state->message.empty()}
                          : json("timeout"));
    }
    if (reached_hang_guard(start)) out.push_back("a wait hung");
    return out;
  });
  auto scope = h->run_flow("late_waiters");
  const json expected = {"Failed", "FAILED", true, false};
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{expected, expected}));
}

TEST_P(RunnerConformance, WaiterTimeoutReturnsNulloptWhileTheRunGoesOn) {
  auto h = harness(4);
  add_parked_task(h->library());
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  json seen;
  h->library().flow("impatient", [&](rh::FlowContext& flow) -> json {
    rh::Future parked = flow.submit("parked");
    parked_ids.push_back(parked.run_id());
    auto waiter = rh::TaskRunWaiter::instance();
    const auto state = waiter.wait_for_task_run(parked.run_id(), 20ms);
    const auto unknown = waiter.wait_for_task_run(std::uint64_t{1} << 62, 0ms);  // a run that never existed
    seen = {{"state", state ? json(state->name) : json(nullptr)},
            {"unknown", unknown ? json(unknown->name) : json(nullptr)},
            {"parked_done", parked.done()}};
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "impatient", observed, parked_ids);
  EXPECT_EQ(seen, (json{{"state", nullptr}, {"unknown", nullptr}, {"parked_done", false}}));
  const auto& parked = *runs_of(*scope, "parked").at(0);
  EXPECT_EQ(state_names(parked), (Names{"Pending", "Running", "AwaitingRetry", "Cancelled"}));
}

TEST_P(RunnerConformance, WaiterRefusesARunWaitingOnItself) {
  auto h = harness(4);
  auto wait_on_self = [](rh::TaskContext& ctx) -> json {
    json out = json::array();
    rh::TaskRunWaiter mine;
    auto shared = rh::TaskRunWaiter::instance();
    for (rh::TaskRunWaiter* waiter : {&shared, &mine}) {
      try {
        const auto state = waiter->wait_for_task_run(ctx.run_id(), kHangGuard);
        out.push_back(state ? "returned " + state->name : std::string("returned nothing"));
      } catch (const rh::UsageError& e) {
        out.push_back(e.what());
      }
    }
    return out;
  };
  h->library().task("selfish", wait_on_self);
  h->library().flow("selfish_flow", [&](rh::FlowContext& flow) -> json {
    json out = wait_on_self(flow);
    out.push_back(flow.submit("selfish").result());
    return out;
  });
  auto scope = h->run_flow("selfish_flow");
  ASSERT_EQ(scope->flow_run()->state(), host::StateId::Completed);
  const json result = json::parse(scope->flow_run()->result());
  ASSERT_EQ(result.size(), 3u);
  const std::vector<std::string> messages = {result[0].get<std::string>(), result[1].get<std::string>(),
                                             result[2][0].get<std::string>(), result[2][1].get<std::string>()};
  for (const std::string& message : messages) {
    EXPECT_NE(message.find("deadlock"), std::string::npos) << message;
  }
}

// Runs ending in each of the seven terminal states, watched through the SDK waiter (its
// wait and its callbacks), on every runner.
TEST_P(RunnerConformance, WaiterSeesEveryTerminalStateOfRealRuns) {
  auto h = harness(4);
  h->library().task("ok", []() { return 1; });
  h->library().task("cachable", [](const json& p) { return p.at("x"); }).cache_by_inputs();
  h->library().task("boom", []() -> json { throw std::runtime_error("boom"); });
  h->library().task("slow", [](rh::TaskContext& ctx) { ctx.sleep(kHangGuard); }).timeout(0.05);
  h->library().task("crash", []() -> json { throw 42; });
  h->library().task("cancel", []() -> json { throw rh::CancelledError("stop here"); });
  std::mutex mutex;
  std::map<std::uint64_t, int> callbacks;
  h->library().flow("all_ends", [&](rh::FlowContext& flow) -> json {
    auto waiter = rh::TaskRunWaiter::instance();
    rh::Future first = flow.submit("cachable", {{"x", 5}});
    first.wait();
    std::vector<std::pair<std::string, rh::Future>> runs;
    runs.reserve(7);
    runs.emplace_back("ok", flow.submit("ok"));
    runs.emplace_back("cached", flow.submit("cachable", {{"x", 5}}));
    runs.emplace_back("boom", flow.submit("boom"));
    runs.emplace_back("slow", flow.submit("slow"));
    runs.emplace_back("crash", flow.submit("crash"));
    runs.emplace_back("cancel", flow.submit("cancel"));
    runs.emplace_back("not_ready", flow.submit("ok", json::object(), rh::wait_for({runs[2].second})));
    for (auto& [label, future] : runs) {
      waiter.add_done_callback(future.run_id(), [&](std::uint64_t id) {
        std::lock_guard<std::mutex> lock(mutex);
        ++callbacks[id];
      });
    }
    json out = json::object();
    const auto start = std::chrono::steady_clock::now();
    for (auto& [label, future] : runs) {
      const auto state = waiter.wait_for_task_run(future.run_id(), kHangGuard);
      out[label] = state ? json(state->name) : json("timeout");
    }
    if (reached_hang_guard(start)) out["hung"] = true;
    return out;
  });
  auto scope = h->run_flow("all_ends");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{{"ok", "Completed"},
                                                            {"cached", "Cached"},
                                                            {"boom", "Failed"},
                                                            {"slow", "TimedOut"},
                                                            {"crash", "Crashed"},
                                                            {"cancel", "Cancelled"},
                                                            {"not_ready", "NotReady"}}));
  // Every callback ran exactly once (before the scope ended: callbacks run as runs end).
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(callbacks.size(), 7u);
  for (const auto& [id, count] : callbacks) EXPECT_EQ(count, 1) << "run " << id;
}

TEST_P(RunnerConformance, WaiterDoneCallbackThroughTheSdk) {
  auto h = harness(4);
  add_parked_task(h->library());
  h->library().task("quick", []() { return "quick"; });
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  std::atomic<int> parked_calls{0};
  std::atomic<std::uint64_t> parked_id_seen{0};
  json seen;
  h->library().flow("callbacks", [&](rh::FlowContext& flow) -> json {
    auto waiter = rh::TaskRunWaiter::instance();
    rh::Future quick = flow.submit("quick");
    quick.wait();
    // Ended: called at once, in this thread, before add_done_callback returns.
    int at_once = 0;
    std::thread::id caller;
    waiter.add_done_callback(quick.run_id(), [&](std::uint64_t) {
      ++at_once;
      caller = std::this_thread::get_id();
    });
    waiter.add_done_callback(quick.run_id(), [&](std::uint64_t) { ++at_once; });
    // Unfinished (parked for an hour): called once when it ends, after the interrupt.
    rh::Future parked = flow.submit("parked");
    parked_ids.push_back(parked.run_id());
    for (int i = 0; i < 2; ++i) {
      waiter.add_done_callback(parked.run_id(), [&](std::uint64_t id) {
        parked_id_seen = id;
        ++parked_calls;
      });
    }
    seen = {{"at_once", at_once},
            {"same_thread", caller == std::this_thread::get_id()},
            {"parked_calls", parked_calls.load()}};
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "callbacks", observed, parked_ids);
  EXPECT_EQ(seen, (json{{"at_once", 2}, {"same_thread", true}, {"parked_calls", 0}}));
  EXPECT_EQ(parked_calls.load(), 2);
  ASSERT_EQ(parked_ids.size(), 1u);
  EXPECT_EQ(parked_id_seen.load(), parked_ids[0]);
}

// instance() is one waiter until stop(); a private waiter is another; both work in tasks.
TEST_P(RunnerConformance, WaiterIdentityAndPrivateWaiters) {
  auto h = harness(4);
  h->library().task("quick", []() { return "quick"; });
  h->library().flow("identity", [](rh::FlowContext& flow) -> json {
    rh::TaskRunWaiter mine(100, 1.0);  // exists before the run ends: sees its event
    rh::TaskRunWaiter other;
    rh::Future quick = flow.submit("quick");
    auto a = rh::TaskRunWaiter::instance();
    auto b = rh::TaskRunWaiter::instance();
    json out = {{"instance_same", a == b}, {"private_differs", a != mine && mine != other}};
    const auto start = std::chrono::steady_clock::now();
    const auto state = mine.wait_for_task_run(quick.run_id(), kHangGuard);
    out["private_wait"] = state ? json(state->name) : json("timeout");
    rh::TaskRunWaiter moved = std::move(mine);
    const auto again = moved.wait_for_task_run(quick.run_id(), kHangGuard);
    out["moved_wait"] = again ? json(again->name) : json("timeout");
    a.stop();
    auto c = rh::TaskRunWaiter::instance();
    out["after_stop_differs"] = c != a && c != b;
    out["after_stop_stable"] = c == rh::TaskRunWaiter::instance();
    const auto stopped = a.wait_for_task_run(quick.run_id() + 1000000, kHangGuard);  // RH_STOPPED: nullopt
    out["stopped_wait"] = stopped ? json(stopped->name) : json(nullptr);
    const auto fresh = c.wait_for_task_run(quick.run_id(), kHangGuard);
    out["new_instance_wait"] = fresh ? json(fresh->name) : json("timeout");
    if (reached_hang_guard(start)) out["hung"] = true;
    return out;
  });
  auto scope = h->run_flow("identity");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{{"instance_same", true},
                                                            {"private_differs", true},
                                                            {"private_wait", "Completed"},
                                                            {"moved_wait", "Completed"},
                                                            {"after_stop_differs", true},
                                                            {"after_stop_stable", true},
                                                            {"stopped_wait", nullptr},
                                                            {"new_instance_wait", "Completed"}}));
}

// stop() from the flow ends a wait in another task (nullopt), wherever the wait runs.
TEST_P(RunnerConformance, StoppingAWaiterEndsWaitsInsideTasks) {
  if (!GetParam().parallel) GTEST_SKIP() << "needs the flow and the waiting task to run at once";
  auto h = harness(4);
  add_parked_task(h->library());
  std::optional<rh::TaskRunWaiter> shared;
  rh::Event watching;
  h->library().task("watch", [&](const json& p) -> json {
    watching.set();
    const auto state = shared->wait_for_task_run(p.at("id").get<std::uint64_t>());
    return state ? json(state->name) : json("stopped");
  });
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  json seen;
  h->library().flow("stopper", [&](rh::FlowContext& flow) -> json {
    shared.emplace();
    rh::Future parked = flow.submit("parked");
    parked_ids.push_back(parked.run_id());
    rh::Future watch = flow.submit("watch", {{"id", parked.run_id()}});
    watching.wait(kHangGuard);
    shared->stop();
    seen = watch.wait(kHangGuard) ? watch.result() : json("still waiting");
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "stopper", observed, parked_ids);
  EXPECT_EQ(seen, "stopped");
  shared.reset();
}

// A wait on the waiter inside a task ends at the task's timeout, like sleeps do.
TEST_P(RunnerConformance, WaiterWaitEndsAtTheTaskTimeout) {
  auto h = harness(4);
  h->library()
      .task("watch_forever",
            []() -> json {
              const auto state = rh::TaskRunWaiter::instance().wait_for_task_run(std::uint64_t{1} << 62);
              return state ? json(state->name) : json("nothing");
            })
      .timeout(0.1);
  auto scope = h->run_task("watch_forever");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
}

}  // namespace
}  // namespace rh::testing
