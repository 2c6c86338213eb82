// The basic life of runs: Pending -> Running -> Completed / Failed / Crashed, timestamps,
// accounting, nested submission, on the sequential runner (the conformance suite covers
// every runner).
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::runs_of;
using rh::testing::state_names;
using Names = std::vector<std::string>;

TEST(EngineLifecycle, CompletedRunRecordsPendingRunningCompleted) {
  EngineHarness h("sequential");
  h.library().task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); });
  auto scope = h.run_task("add", {{"a", 2}, {"b", 3}});
  auto runs = scope->runs();
  ASSERT_EQ(runs.size(), 1u);
  const auto& run = *runs[0];
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(run.result(), "5");
  EXPECT_EQ(run.run_count(), 1u);
  const auto& history = run.history();
  for (std::size_t i = 1; i < history.size(); ++i) EXPECT_GT(history[i].time_us, history[i - 1].time_us);
  EXPECT_EQ(run.start_time_us(), history[1].time_us);
  EXPECT_EQ(run.end_time_us(), history[2].time_us);
  EXPECT_EQ(run.total_run_time_us(), history[2].time_us - history[1].time_us);
}

TEST(EngineLifecycle, ExceptionFailsWithTypeAndMessage) {
  EngineHarness h("sequential");
  h.library().task("boom", []() -> json { throw std::invalid_argument("bad input"); });
  auto scope = h.run_task("boom");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Failed"}));
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->type, "std::invalid_argument");
  EXPECT_EQ(run.error()->message, "bad input");
  EXPECT_EQ(run.message(run.current()), "Task run encountered an exception std::invalid_argument: bad input");
}

TEST(EngineLifecycle, NonStandardThrowCrashes) {
  EngineHarness h("sequential");
  h.library().task("weird", []() -> json { throw 42; });
  auto scope = h.run_task("weird");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Crashed"}));
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->type, "int");
}

TEST(EngineLifecycle, FlowSubmitsAndWaitsOnFutures) {
  EngineHarness h("sequential");
  h.library().task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); });
  h.library().task("boom", []() -> json { throw std::runtime_error("boom"); });
  h.library().flow("pipeline", [](rh::FlowContext& flow, const json& p) -> json {
    rh::Future a = flow.submit("add", {{"a", 1}, {"b", p.value("b", 2)}});
    rh::Future b = flow.submit("add", {{"a", a.result()}, {"b", 10}});
    rh::Future c = flow.submit("boom", json::object());
    c.wait();
    return {{"b", b.result()}, {"c_state", c.state().name}};
  });
  auto scope = h.run_flow("pipeline", {{"b", 5}});
  const auto& flow = *scope->flow_run();
  EXPECT_EQ(state_names(flow), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(json::parse(flow.result()), (json{{"b", 16}, {"c_state", "Failed"}}));
  ASSERT_EQ(scope->runs().size(), 3u);
  for (const auto& run : scope->runs()) EXPECT_EQ(run->flow_run_id(), flow.id());
}

TEST(EngineLifecycle, NestedSubmissionFromATask) {
  EngineHarness h("sequential");
  h.library().task("leaf", [](const json& p) { return p.at("x").get<int>() * 2; });
  h.library().task("parent", [](rh::TaskContext& ctx, const json&) -> json {
    rh::Future a = ctx.submit("leaf", {{"x", 1}});
    rh::Future b = ctx.submit("leaf", {{"x", 2}});
    return a.result().get<int>() + b.result().get<int>();
  });
  auto scope = h.run_task("parent");
  auto parents = runs_of(*scope, "parent");
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0]->result(), "6");
  auto leaves = runs_of(*scope, "leaf");
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_EQ(leaves[0]->parent_id(), parents[0]->id());
}

}  // namespace
