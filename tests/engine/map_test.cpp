// flow.map on the sequential runner: one run per list element, scalars and rh::unmapped
// lists broadcast, mismatched lengths and a missing list are usage errors, results come
// back in input order.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::runs_of;

TEST(EngineMap, OneRunPerElementWithScalarsAndUnmappedListsBroadcast) {
  EngineHarness h("sequential");
  h.library().task("combine", [](const json& p) { return p; });
  h.library().flow("mapper", [](rh::FlowContext& flow) -> json {
    return rh::gather(flow.map("combine", {{"x", {1, 2, 3}}, {"y", 10}, {"z", rh::unmapped({7, 8})}}));
  });
  auto scope = h.run_flow("mapper");
  const json expected = {
      {{"x", 1}, {"y", 10}, {"z", {7, 8}}},
      {{"x", 2}, {"y", 10}, {"z", {7, 8}}},
      {{"x", 3}, {"y", 10}, {"z", {7, 8}}},
  };
  EXPECT_EQ(json::parse(scope->flow_run()->result()), expected);
  const auto runs = runs_of(*scope, "combine");
  ASSERT_EQ(runs.size(), 3u);
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(json::parse(runs[i]->params()), expected[i]);
}

TEST(EngineMap, SeveralListsAreZipped) {
  EngineHarness h("sequential");
  h.library().task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); });
  h.library().flow("mapper", [](rh::FlowContext& flow) -> json {
    return rh::gather(flow.map("add", {{"a", {1, 2, 3}}, {"b", {10, 20, 30}}}));
  });
  auto scope = h.run_flow("mapper");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{11, 22, 33}));
}

TEST(EngineMap, ResultsComeBackInInputOrder) {
  EngineHarness h("sequential");
  h.library().task("echo", [](const json& p) { return p.at("v"); });
  h.library().flow("mapper", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures = flow.map("echo", {{"v", {"c", "a", "b"}}});
    json ids = json::array();
    for (const auto& f : futures) ids.push_back(f.run_id());
    return {{"results", rh::gather(futures)}, {"ids", ids}};
  });
  auto scope = h.run_flow("mapper");
  const json result = json::parse(scope->flow_run()->result());
  EXPECT_EQ(result.at("results"), (json{"c", "a", "b"}));
  const auto runs = runs_of(*scope, "echo");
  ASSERT_EQ(runs.size(), 3u);
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(result.at("ids")[i], runs[i]->id());
}

TEST(EngineMap, DifferentLengthsAreAUsageErrorNamingTheLengths) {
  EngineHarness h("sequential");
  h.library().task("add", [](const json& p) { return p; });
  h.library().flow("mapper", [](rh::FlowContext& flow) -> json {
    try {
      flow.map("add", {{"x", {1, 2, 3}}, {"y", {1, 2}}});
    } catch (const rh::UsageError& e) {
      return e.what();
    }
    return "no error";
  });
  auto scope = h.run_flow("mapper");
  EXPECT_EQ(json::parse(scope->flow_run()->result()),
            "map: parameters of 'add' have different lengths: 'x' has 3, 'y' has 2");
  EXPECT_TRUE(runs_of(*scope, "add").empty()) << "a refused map creates no run";
}

TEST(EngineMap, NoListToMapOverIsAUsageError) {
  EngineHarness h("sequential");
  h.library().task("add", [](const json& p) { return p; });
  h.library().flow("mapper", [](rh::FlowContext& flow) -> json {
    json messages = json::array();
    for (const json& params : {json{{"x", 1}}, json{{"x", rh::unmapped({1, 2})}}}) {
      try {
        flow.map("add", params);
        messages.push_back("no error");
      } catch (const rh::UsageError& e) {
        messages.push_back(e.what());
      }
    }
    return messages;
  });
  auto scope = h.run_flow("mapper");
  const std::string message = "map: no parameter of 'add' is a list to map over";
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{message, message}));
  EXPECT_TRUE(runs_of(*scope, "add").empty());
}

TEST(EngineMap, AnEmptyListMapsToNoRuns) {
  EngineHarness h("sequential");
  h.library().task("add", [](const json& p) { return p; });
  h.library().flow("mapper", [](rh::FlowContext& flow) -> json {
    return rh::gather(flow.map("add", {{"x", json::array()}, {"y", 1}}));
  });
  auto scope = h.run_flow("mapper");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), json::array());
  EXPECT_TRUE(runs_of(*scope, "add").empty());
}

}  // namespace
