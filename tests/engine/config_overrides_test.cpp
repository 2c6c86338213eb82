// Per-task overrides from the config file ("tasks" section) change the options compiled
// into a library: applied through TaskRegistry::apply_overrides before any run starts.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::state_names;
using Names = std::vector<std::string>;

TEST(EngineConfigOverrides, RetriesOfACompiledTaskAreOverridden) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library().task("flaky", [&](rh::TaskContext& ctx) -> json {
    ++calls;
    if (ctx.run_count() < 3) throw std::runtime_error("again");
    return "ok";
  });          // compiled without retries
  h.engine();  // registers the library
  h.registry().apply_overrides(json{{"flaky", {{"retries", 2}}}}, "test config");
  EXPECT_EQ(h.registry().find("flaky")->options.retries, 2);
  auto scope = h.run_task("flaky");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Retrying", "Completed"}));
  EXPECT_EQ(calls, 3);
}

TEST(EngineConfigOverrides, OverrideCanRemoveCompiledRetries) {
  EngineHarness h("sequential");
  h.library().task("always", []() -> json { throw std::runtime_error("always"); }).retries(5);
  h.engine();
  h.registry().apply_overrides(json{{"always", {{"retries", 0}}}}, "test config");
  auto scope = h.run_task("always");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Failed"}));
}

TEST(EngineConfigOverrides, TimeoutOfACompiledTaskIsOverridden) {
  EngineHarness h("sequential");
  h.library().task("nap", [](rh::TaskContext& ctx) { ctx.sleep(std::chrono::seconds(30)); });  // no timeout
  h.engine();
  h.registry().apply_overrides(json{{"nap", {{"timeout_seconds", 0.1}}}}, "test config");
  auto scope = h.run_task("nap");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(run.message(run.current()), "Task run exceeded timeout of 0.1 second(s)");
}

// An override merges with the compiled options: keys it does not name stay as compiled.
TEST(EngineConfigOverrides, UnnamedOptionsKeepTheirCompiledValues) {
  EngineHarness h("sequential");
  h.library()
      .task("slow_flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) ctx.sleep(std::chrono::seconds(30));
              return ctx.run_count();
            })
      .retries(1);
  h.engine();
  h.registry().apply_overrides(json{{"slow_flaky", {{"timeout_seconds", 0.1}}}}, "test config");
  auto scope = h.run_task("slow_flaky");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(run.result(), "2");
}

}  // namespace
