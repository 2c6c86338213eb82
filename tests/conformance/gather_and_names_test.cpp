// Conformance: rh::gather (results in input order, fails fast on the first failure to
// complete even while an earlier-listed future still runs), mapping over futures, and
// run names rendered from parameters after their futures resolved — on every runner.
#include "runner_params.hpp"

#include <chrono>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

TEST_P(RunnerConformance, GatherFailsFastOnTheFirstFailureToComplete) {
  auto h = harness();
  rh::Event release;
  h->library()
      .task("slow",
            [&](rh::TaskContext& ctx) -> json {
              // The first attempt fails so that even an inline runner leaves the run
              // unfinished; the second waits until gather has given up (60 s: hang guard).
              if (ctx.run_count() == 1) throw std::runtime_error("not yet");
              return release.wait(60s);
            })
      .retries(1)
      .retry_delay(0.01);
  h->library().task("boom", []() -> json { throw std::invalid_argument("second broke"); });
  h->library().flow("gathering", [&](rh::FlowContext& flow) -> json {
    rh::Future slow = flow.submit("slow");
    rh::Future boom = flow.submit("boom");
    json out = {{"error", "gather did not throw"}};
    try {
      rh::gather({slow, boom});
    } catch (const rh::TaskRunError& e) {
      out = {{"state", e.state().name},
             {"type", e.error_type()},
             {"message", e.error_message()},
             {"slow_done", slow.done()}};
    }
    release.set();
    out["slow_result"] = slow.result();
    return out;
  });
  auto scope = h->run_flow("gathering");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{{"state", "Failed"},
                                                            {"type", "std::invalid_argument"},
                                                            {"message", "second broke"},
                                                            {"slow_done", false},
                                                            {"slow_result", true}}));
}

TEST_P(RunnerConformance, GatherReturnsResultsInInputOrder) {
  auto h = harness();
  h->library()
      .task("late",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("not yet");
              return "late";
            })
      .retries(1)
      .retry_delay(0.02);
  h->library().task("early", []() { return "early"; });
  h->library().flow("gathering", [](rh::FlowContext& flow) -> json {
    rh::Future late = flow.submit("late");
    rh::Future early = flow.submit("early");
    return rh::gather({late, early, late});
  });
  auto scope = h->run_flow("gathering");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"late", "early", "late"}));
}

TEST_P(RunnerConformance, MapOverFuturesResolvesEachElement) {
  auto h = harness();
  h->library().task("value", [](rh::TaskContext& ctx, const json& p) {
    ctx.sleep(5ms);
    return p.at("v");
  });
  h->library().task("times", [](const json& p) { return p.at("x").get<int>() * p.at("k").get<int>(); });
  h->library().flow("mapper", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("value", {{"v", 2}});
    rh::Future b = flow.submit("value", {{"v", 3}});
    return rh::gather(flow.map("times", {{"x", json::array({a, b})}, {"k", 10}}));
  });
  auto scope = h->run_flow("mapper");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{20, 30}));
  const auto times = runs_of(*scope, "times");
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(json::parse(times[0]->params()), (json{{"x", 2}, {"k", 10}}));
  EXPECT_EQ(json::parse(times[1]->params()), (json{{"x", 3}, {"k", 10}}));
}

TEST_P(RunnerConformance, RunNameIsRenderedAfterFuturesResolve) {
  auto h = harness();
  h->library().task("value", [](rh::TaskContext& ctx, const json& p) {
    ctx.sleep(5ms);
    return p.at("v");
  });
  h->library().task("named", [](rh::TaskContext& ctx) { return std::string(ctx.run_name()); }).task_run_name("{x}-{y}");
  h->library().flow("naming", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("value", {{"v", "alpha"}});
    return flow.submit("named", {{"x", a}, {"y", 7}}).result();
  });
  auto scope = h->run_flow("naming");
  EXPECT_EQ(scope->flow_run()->result(), "\"alpha-7\"");
  const auto& named = *runs_of(*scope, "named").at(0);
  EXPECT_EQ(named.name(), "alpha-7");
  EXPECT_EQ(state_names(named), (Names{"Pending", "Running", "Completed"}));
}

}  // namespace
}  // namespace rh::testing
