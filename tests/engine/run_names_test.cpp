// Run names on the sequential runner: default "<task>-<3 hex>", task_run_name templates
// rendered from the parameters once per run, and a template naming a missing parameter
// failing the run with a message naming the key. (Names after future resolution are in
// the conformance suite.)
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::runs_of;
using rh::testing::state_names;
using Names = std::vector<std::string>;

TEST(EngineRunNames, DefaultNameIsTheTaskAndThreeHexDigits) {
  EngineHarness h("sequential");
  h.library().task("add_one", [](const json& p) { return p.at("x").get<int>() + 1; });
  h.library().flow("pipeline", [](rh::FlowContext& flow) -> json {
    std::vector<int> xs(20);
    return rh::gather(flow.map("add_one", {{"x", xs}}));
  });
  auto scope = h.run_flow("pipeline");
  const std::regex task_name("^add_one-[0-9a-f]{3}$");
  const auto runs = runs_of(*scope, "add_one");
  ASSERT_EQ(runs.size(), 20u);
  std::set<std::string> distinct;
  for (const auto& run : runs) {
    EXPECT_TRUE(std::regex_match(run->name(), task_name)) << run->name();
    distinct.insert(run->name());
  }
  // 20 draws from 4096 names: all equal would mean the suffix is not random.
  EXPECT_GT(distinct.size(), 1u);
  EXPECT_TRUE(std::regex_match(scope->flow_run()->name(), std::regex("^pipeline-[0-9a-f]{3}$")))
      << scope->flow_run()->name();
}

TEST(EngineRunNames, TemplateIsRenderedFromTheParameters) {
  EngineHarness h("sequential");
  std::string seen_inside;
  h.library()
      .task("copy",
            [&](rh::TaskContext& ctx) {
              seen_inside = std::string(ctx.run_name());
              return 0;
            })
      .task_run_name("{x}-{y}");
  auto scope = h.run_task("copy", {{"x", "alpha"}, {"y", 2}});
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(run.name(), "alpha-2");
  EXPECT_EQ(seen_inside, "alpha-2");
}

// Rendered once per run: every attempt sees the same name.
TEST(EngineRunNames, TemplateIsRenderedOncePerRunNotPerAttempt) {
  EngineHarness h("sequential");
  Names seen;
  h.library()
      .task("flaky",
            [&](rh::TaskContext& ctx) -> json {
              seen.emplace_back(ctx.run_name());
              if (ctx.run_count() < 3) throw std::runtime_error("again");
              return nullptr;
            })
      .retries(2)
      .task_run_name("job-{id}");
  h.library().flow("two_runs", [](rh::FlowContext& flow) -> json {
    return rh::gather({flow.submit("flaky", {{"id", 1}}), flow.submit("flaky", {{"id", 2}})});
  });
  auto scope = h.run_flow("two_runs");
  EXPECT_EQ(seen, (Names{"job-1", "job-1", "job-1", "job-2", "job-2", "job-2"}));
  const auto runs = runs_of(*scope, "flaky");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]->name(), "job-1");
  EXPECT_EQ(runs[1]->name(), "job-2");
}

TEST(EngineRunNames, MissingKeyFailsTheRunNamingTheKey) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library()
      .task("named",
            [&]() {
              ++calls;
              return 1;
            })
      .task_run_name("{x}-{missing}");
  auto scope = h.run_task("named", {{"x", 1}});
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Failed"}));
  EXPECT_EQ(calls, 0);
  const std::string message(run.message(run.current()));
  EXPECT_NE(message.find("'missing'"), std::string::npos) << message;
  ASSERT_NE(run.error(), nullptr);
  EXPECT_NE(run.error()->message.find("'missing'"), std::string::npos) << run.error()->message;
}

TEST(EngineRunNames, MissingKeySurfacesAsATaskRunErrorInTheFlow) {
  EngineHarness h("sequential");
  h.library().task("named", []() { return 1; }).task_run_name("{absent}");
  h.library().flow("caller", [](rh::FlowContext& flow) -> json {
    try {
      flow.submit("named").result();
    } catch (const rh::TaskRunError& e) {
      return {{"state", e.state().name}, {"message", e.error_message()}};
    }
    return "no error";
  });
  auto scope = h.run_flow("caller");
  const json result = json::parse(scope->flow_run()->result());
  EXPECT_EQ(result.at("state"), "Failed");
  EXPECT_NE(result.at("message").get<std::string>().find("'absent'"), std::string::npos) << result;
}

}  // namespace
