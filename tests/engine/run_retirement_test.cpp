// Bounded memory however many runs pass through a scope (RunScope): finished runs nobody
// refers to are retired past the bound, each shown once to the retire observer and counted;
// runs still referenced stay findable; and task code that submits faster than runs finish
// waits for room, without ever deadlocking.
#include "engine_harness.hpp"
#include "log_capture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>

namespace {

using rh::json;
using rh::host::RunRef;
using rh::host::RunScope;
using rh::host::StateId;
using rh::testing::EngineHarness;
using rh::testing::LogCapture;

class RunRetirement : public ::testing::TestWithParam<const char*> {
 protected:
  json options() const { return std::string(GetParam()) == "sequential" ? json::object() : json{{"max_workers", 2}}; }
};

// Retired so far, by the observer the tests install (on the scope's retiring thread).
std::atomic<long> g_retired{0};

// Waits in the flow (sleeping, so the sequential runner runs queued runs meanwhile) until
// the scope retired something, or 20 s passed: a flow this small may otherwise end before
// the retiring thread's first look.
void until_something_retired(rh::FlowContext& flow) {
  for (int i = 0; i < 2000 && g_retired.load() == 0; ++i) flow.sleep(std::chrono::milliseconds(10));
}

TEST_P(RunRetirement, FinishedRunsPastTheBoundAreRetiredEachExactlyOnce) {
  constexpr int kRuns = 20000;
  g_retired = 0;
  EngineHarness h(GetParam(), options());
  h.library().task("noop", [] {});
  h.library().flow("many", [](rh::FlowContext& flow) -> json {
    for (int i = 0; i < kRuns; ++i) flow.submit("noop");
    until_something_retired(flow);
    return kRuns;
  });
  std::vector<std::uint64_t> observed;  // the observer runs on the scope's one retiring thread
  auto scope = h.run_flow_with("many", json::object(), [&](RunScope& s) {
    s.set_retained_runs(1000);
    s.set_retire_observer([&](const rh::host::Run& run) {
      EXPECT_TRUE(run.done());
      observed.push_back(run.id());
      ++g_retired;
    });
  });
  ASSERT_EQ(scope->flow_run()->state(), StateId::Completed);
  EXPECT_GT(observed.size(), 0u) << "nothing was retired";
  EXPECT_EQ(scope->retired_tally().runs, observed.size());
  EXPECT_EQ(scope->retired_tally().by_state[static_cast<std::size_t>(StateId::Completed)], observed.size());
  EXPECT_TRUE(scope->retired_tally().all_completed());
  std::set<std::uint64_t> ids(observed.begin(), observed.end());
  EXPECT_EQ(ids.size(), observed.size()) << "a run was retired twice";
  for (const RunRef& run : scope->runs()) {
    EXPECT_TRUE(ids.insert(run->id()).second) << "run " << run->id() << " is both retired and held";
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kRuns));
  EXPECT_LT(scope->size(), static_cast<std::size_t>(kRuns));
}

std::atomic<long> g_sum{0};

TEST_P(RunRetirement, RunsReferencedByFuturesAndDownstreamRunsStayUntilReleased) {
  constexpr int kPairs = 3000;
  constexpr long kExpected = static_cast<long>(kPairs) * (kPairs + 1) / 2;
  g_retired = 0;
  g_sum = 0;
  EngineHarness h(GetParam(), options());
  h.library().task("one", [](const json& p) -> json { return p.at("i").get<int>(); });
  h.library().task("plus_one", [](const json& p) -> json {
    g_sum += p.at("x").get<long>() + 1;
    return nullptr;
  });
  h.library().flow("pairs", [](rh::FlowContext& flow) -> json {
    for (int i = 0; i < kPairs; ++i) {
      rh::Future first = flow.submit("one", {{"i", i}});
      // Found by id in the scope while earlier pairs are being retired; only the second
      // run refers to the first once this iteration drops its future.
      flow.submit("plus_one", {{"x", first}});
    }
    for (int i = 0; i < 2000 && g_sum.load() != kExpected; ++i) flow.sleep(std::chrono::milliseconds(10));
    until_something_retired(flow);
    return g_sum.load();
  });
  auto scope = h.run_flow_with("pairs", json::object(), [](RunScope& s) {
    s.set_retained_runs(200);
    s.set_retire_observer([](const rh::host::Run&) { ++g_retired; });
  });
  ASSERT_EQ(scope->flow_run()->state(), StateId::Completed) << scope->flow_run()->message(scope->flow_run()->current());
  EXPECT_EQ(scope->flow_run()->result(), std::to_string(kExpected));
  EXPECT_GT(scope->retired_tally().runs, 0u);
  EXPECT_TRUE(scope->retired_tally().all_completed());
  EXPECT_EQ(scope->retired_tally().runs + scope->size(), 2u * kPairs);
}

TEST_P(RunRetirement, RunsThatDidNotCompleteAreKeptForTheTableAndCounted) {
  constexpr int kRuns = 5000;
  g_retired = 0;
  EngineHarness h(GetParam(), options());
  h.library().task("maybe", [](const json& p) -> json {
    if (p.at("i").get<int>() % 100 == 0) throw std::runtime_error("every hundredth fails");
    return 1;
  });
  h.library().flow("mixed", [](rh::FlowContext& flow) -> json {
    for (int i = 0; i < kRuns; ++i) flow.submit("maybe", {{"i", i}});
    until_something_retired(flow);
    return kRuns;
  });
  auto scope = h.run_flow_with("mixed", json::object(), [](RunScope& s) {
    s.set_retained_runs(500);
    s.set_retire_observer([](const rh::host::Run&) { ++g_retired; });
  });
  const auto& tally = scope->retired_tally();
  ASSERT_GT(tally.runs, 0u);
  EXPECT_FALSE(tally.all_completed());
  std::size_t failed = tally.by_state[static_cast<std::size_t>(StateId::Failed)];
  for (const RunRef& run : scope->runs()) failed += run->state() == StateId::Failed ? 1 : 0;
  EXPECT_EQ(failed, static_cast<std::size_t>(kRuns / 100));
  EXPECT_EQ(scope->kept_unsuccessful().size(), tally.by_state[static_cast<std::size_t>(StateId::Failed)]);
  for (const RunRef& run : scope->kept_unsuccessful()) EXPECT_EQ(run->state(), StateId::Failed);
}

INSTANTIATE_TEST_SUITE_P(Runners, RunRetirement, ::testing::Values("sequential", "fiber", "tbb"));

// Waiting for room suspends the submitter, which needs a runner with more than one worker.
class SubmissionRoom : public ::testing::TestWithParam<const char*> {};

std::atomic<long> g_finished{0};

TEST_P(SubmissionRoom, ASubmitterFasterThanItsRunsWaitsForRoom) {
  constexpr int kRuns = 3000;
  constexpr long kLimit = 200;
  g_finished = 0;
  EngineHarness h(GetParam(), {{"max_workers", 2}});
  h.library().task("nap", [](rh::TaskContext& ctx) {
    ctx.sleep(std::chrono::microseconds(200));
    g_finished.fetch_add(1);
  });
  h.library().flow("flood", [](rh::FlowContext& flow) -> json {
    long most = 0;
    for (long i = 1; i <= kRuns; ++i) {
      flow.submit("nap");
      most = std::max(most, i - g_finished.load());
    }
    return most;
  });
  auto scope = h.run_flow_with("flood", json::object(), [](RunScope& s) { s.set_max_unfinished(kLimit); });
  ASSERT_EQ(scope->flow_run()->state(), StateId::Completed);
  const long most = std::stol(scope->flow_run()->result());
  // The flow run counts as unfinished too; a run counts as finished a little after the
  // task's last line, hence the slack of a few.
  EXPECT_LE(most, kLimit + 8) << "submissions did not wait for room";
  EXPECT_GT(most, kLimit / 4);
}

rh::Event* g_gate = nullptr;

TEST_P(SubmissionRoom, RunsThatWaitForTheSubmitterDoNotDeadlockIt) {
  constexpr int kRuns = 300;
  LogCapture logs;
  EngineHarness h(GetParam(), {{"max_workers", 2}});
  h.library().task("gated", [](rh::TaskContext&) {
    g_gate->wait();
    return 1;
  });
  h.library().flow("gate", [](rh::FlowContext& flow) -> json {
    rh::Event gate;
    g_gate = &gate;
    std::vector<rh::Future> runs;
    for (int i = 0; i < kRuns; ++i) runs.push_back(flow.submit("gated"));
    gate.set();  // only now can any of them finish
    int sum = 0;
    for (const rh::Future& f : runs) sum += f.result().get<int>();
    return sum;
  });
  auto scope = h.run_flow_with("gate", json::object(), [](RunScope& s) { s.set_max_unfinished(50); });
  ASSERT_EQ(scope->flow_run()->state(), StateId::Completed) << scope->flow_run()->message(scope->flow_run()->current());
  EXPECT_EQ(scope->flow_run()->result(), std::to_string(kRuns));
  EXPECT_EQ(logs.matching("submissions no longer wait").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Runners, SubmissionRoom, ::testing::Values("fiber", "tbb"));

}  // namespace
