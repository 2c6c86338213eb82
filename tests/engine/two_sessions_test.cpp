// Two host::Sessions in one process, each with its own runner, running at the same time:
// their events, waiters, run ids, timers and interrupts never cross (no process-wide state).
#include "engine_harness.hpp"

#include "events/waiter_registry.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

constexpr auto kHangGuard = std::chrono::seconds(60);

// Both flows wait here until both have started, so the sessions really run side by side.
class Rendezvous {
 public:
  explicit Rendezvous(int parties) : waiting_for_(parties) {}
  bool arrive() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--waiting_for_ == 0) all_.notify_all();
    return all_.wait_for(lock, kHangGuard, [this] { return waiting_for_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_;
  int waiting_for_;
};

struct Seen {  // what one session's event stream showed
  std::mutex mutex;
  std::set<std::string> tasks;
  std::set<std::uint64_t> run_ids;
};

// A library whose task names carry the session's label, and a flow that waits for each of
// its runs through the SDK's TaskRunWaiter (the session's instance) and returns the run
// names the waiter reported.
void declare(EngineHarness& h, const std::string& label, Rendezvous& both_started) {
  h.library().task(label + "_work",
                   [label](rh::TaskContext& ctx) { return label + ":" + std::to_string(ctx.run_id()); });
  h.library().flow(label + "_flow", [label, &both_started](rh::FlowContext& flow) -> json {
    if (!both_started.arrive()) throw std::runtime_error("the other session never started");
    std::vector<rh::Future> futures;
    for (int i = 0; i < 20; ++i) futures.push_back(flow.submit(label + "_work"));
    rh::TaskRunWaiter waiter = rh::TaskRunWaiter::instance();
    json seen = json::array();
    for (rh::Future& f : futures) {
      const auto state = waiter.wait_for_task_run(f.run_id(), std::chrono::seconds(60));
      seen.push_back(state ? state->name + " " + f.result().get<std::string>() : std::string("timed out"));
    }
    return seen;
  });
}

void record(EngineHarness& h, Seen& seen) {
  h.bus().subscribe([&seen](const host::TaskRunEvent& e) {
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.tasks.insert(std::string(e.task_name));
    seen.run_ids.insert(e.run_id);
  });
}

TEST(TwoSessions, RunSideBySideWithoutSharingEventsWaitersOrRunIds) {
  Rendezvous both_started(2);
  EngineHarness a("fiber", {{"max_workers", 2}});
  EngineHarness b("tbb", {{"max_workers", 2}});
  declare(a, "a", both_started);
  declare(b, "b", both_started);
  Seen seen_a;
  Seen seen_b;
  record(a, seen_a);
  record(b, seen_b);
  a.engine();
  b.engine();
  EXPECT_NE(a.session().waiters().instance(), b.session().waiters().instance());

  std::unique_ptr<host::RunScope> scope_a;
  std::unique_ptr<host::RunScope> scope_b;
  std::thread thread_a([&] { scope_a = a.run_flow("a_flow"); });
  std::thread thread_b([&] { scope_b = b.run_flow("b_flow"); });
  thread_a.join();
  thread_b.join();

  for (auto [scope, label] : {std::pair{scope_a.get(), "a"}, std::pair{scope_b.get(), "b"}}) {
    const host::Run& flow = *scope->flow_run();
    ASSERT_EQ(flow.state(), host::StateId::Completed) << label << ": " << flow.message(flow.current());
    // Each waiter reported its own session's runs: the result a task of this session returned.
    const json reported = json::parse(flow.result());
    ASSERT_EQ(reported.size(), 20u);
    std::size_t i = 0;
    for (const host::RunRef& run : scope->runs()) {
      EXPECT_EQ(reported[i++], "Completed " + std::string(label) + ":" + std::to_string(run->id()));
    }
    // Run ids are the session's own: both count from 1, the flow run first.
    EXPECT_EQ(flow.id(), 1u) << label;
    EXPECT_EQ(scope->runs().back()->id(), 21u) << label;
  }
  EXPECT_EQ(seen_a.tasks, (std::set<std::string>{"a_flow", "a_work"})) << "only session a's runs on its bus";
  EXPECT_EQ(seen_b.tasks, (std::set<std::string>{"b_flow", "b_work"})) << "only session b's runs on its bus";
  EXPECT_EQ(seen_a.run_ids.size(), 21u);
  EXPECT_EQ(seen_b.run_ids.size(), 21u);
}

// An interrupt belongs to one session: the other one's runs go on and complete, its
// retries keep their timers.
TEST(TwoSessions, InterruptingOneLeavesTheOtherRunning) {
  Rendezvous both_started(2);
  EngineHarness a("tbb", {{"max_workers", 2}});
  EngineHarness b("fiber", {{"max_workers", 2}});
  std::mutex parked_mutex;
  std::condition_variable parked_changed;
  bool a_parked = false;
  a.library()
      .task("park",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("retried in an hour");
              return "retried";
            })
      .retries(1)
      .retry_delay(3600);
  a.library().flow("a_flow", [&](rh::FlowContext& flow) -> json {
    if (!both_started.arrive()) throw std::runtime_error("the other session never started");
    rh::Future parked = flow.submit("park");
    {
      std::lock_guard<std::mutex> lock(parked_mutex);
      a_parked = true;
    }
    parked_changed.notify_all();
    return parked.state().name;
  });
  b.library()
      .task("retry_soon",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("retried in 10 ms");
              return "retried";
            })
      .retries(1)
      .retry_delay(0.01);
  b.library().flow("b_flow", [&](rh::FlowContext& flow) -> json {
    if (!both_started.arrive()) throw std::runtime_error("the other session never started");
    return flow.submit("retry_soon").result();
  });

  std::unique_ptr<host::RunScope> scope_a;
  std::unique_ptr<host::RunScope> scope_b;
  std::thread thread_a([&] { scope_a = a.run_flow("a_flow"); });
  std::thread thread_b([&] { scope_b = b.run_flow("b_flow"); });
  {
    std::unique_lock<std::mutex> lock(parked_mutex);
    EXPECT_TRUE(parked_changed.wait_for(lock, kHangGuard, [&] { return a_parked; }));
  }
  a.session().interrupt();
  thread_a.join();
  thread_b.join();

  EXPECT_TRUE(a.session().interrupted());
  EXPECT_FALSE(b.session().interrupted());
  const host::Run& parked = *scope_a->runs().at(0);
  EXPECT_EQ(parked.state(), host::StateId::Cancelled);
  EXPECT_EQ(scope_b->flow_run()->state(), host::StateId::Completed);
  EXPECT_EQ(scope_b->flow_run()->result(), "\"retried\"");
  EXPECT_EQ(scope_b->runs().at(0)->run_count(), 2u);
}

// The SDK's waiter calls serve the session whose code calls them; a thread of no session
// is told so instead of getting some process-wide waiter.
TEST(TwoSessions, AThreadOfNoSessionHasNoWaiter) {
  EngineHarness h("sequential");  // points this binary's SDK at the host
  h.engine();
  std::string instance_error;
  std::string create_error;
  std::thread outsider([&] {
    try {
      rh::TaskRunWaiter::instance();
    } catch (const rh::UsageError& e) {
      instance_error = e.what();
    }
    try {
      rh::TaskRunWaiter waiter(10, 1.0);
    } catch (const rh::UsageError& e) {
      create_error = e.what();
    }
  });
  outsider.join();
  const std::string expected =
      "a TaskRunWaiter belongs to a host session: create it in task, flow or hook code (this thread runs none)";
  EXPECT_EQ(instance_error, expected);
  EXPECT_EQ(create_error, expected);
}

}  // namespace
}  // namespace rh::testing
