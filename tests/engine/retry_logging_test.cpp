// The retry log lines, like Prefect's: "Retry k/N will start in d second(s)" (or
// "immediately") for each retry, and "Retries are exhausted" once when the last attempt
// fails — only when the task has retries.
#include "engine_harness.hpp"
#include "log_capture.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::LogCapture;
using rh::testing::state_names;
using Names = std::vector<std::string>;

TEST(EngineRetryLogging, EachRetryWithADelayIsAnnouncedThenExhaustionOnce) {
  LogCapture logs;
  EngineHarness h("sequential");
  h.library().task("always", []() -> json { throw std::runtime_error("nope"); }).retries(2).retry_delay(0.01);
  auto scope = h.run_task("always");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(run.state(), rh::host::StateId::Failed);

  const auto retry_lines = logs.matching(" will start ");
  ASSERT_EQ(retry_lines.size(), 2u) << logs.dump();
  const std::string prefix = "[" + run.name() + "] failed with std::runtime_error: nope - ";
  EXPECT_EQ(retry_lines[0].text, prefix + "Retry 1/2 will start in 0.01 second(s)");
  EXPECT_EQ(retry_lines[1].text, prefix + "Retry 2/2 will start in 0.01 second(s)");
  for (const auto& line : retry_lines) EXPECT_EQ(line.level, spdlog::level::warn);

  const auto exhausted = logs.matching("Retries are exhausted");
  ASSERT_EQ(exhausted.size(), 1u) << logs.dump();
  EXPECT_EQ(exhausted[0].text, prefix + "Retries are exhausted");
  EXPECT_EQ(exhausted[0].level, spdlog::level::err);
}

TEST(EngineRetryLogging, RetryWithoutADelayStartsImmediately) {
  LogCapture logs;
  EngineHarness h("sequential");
  h.library()
      .task("flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("once");
              return "ok";
            })
      .retries(3);
  auto scope = h.run_task("flaky");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Completed"}));
  const auto retry_lines = logs.matching("Retry ");
  ASSERT_EQ(retry_lines.size(), 1u) << logs.dump();
  EXPECT_EQ(retry_lines[0].text,
            "[" + run.name() + "] failed with std::runtime_error: once - Retry 1/3 will start immediately");
  EXPECT_TRUE(logs.matching("Retries are exhausted").empty()) << logs.dump();
}

TEST(EngineRetryLogging, NoExhaustionLineWithoutRetries) {
  LogCapture logs;
  EngineHarness h("sequential");
  h.library().task("once", []() -> json { throw std::runtime_error("once"); });
  auto scope = h.run_task("once");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(run.state(), rh::host::StateId::Failed);
  EXPECT_TRUE(logs.matching("Retries are exhausted").empty()) << logs.dump();
  EXPECT_TRUE(logs.matching("Retry ").empty()) << logs.dump();
  // The failure itself is still logged.
  EXPECT_EQ(logs.matching("[" + run.name() + "] failed with std::runtime_error: once").size(), 1u) << logs.dump();
}

}  // namespace
