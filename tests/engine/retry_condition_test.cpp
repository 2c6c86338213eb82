// retry_condition on the sequential runner: asked only while retries remain, sees the
// failed run, false stops retrying, and a throwing condition means "do not retry" and is
// logged. (A condition after an engine timeout is in the conformance suite.)
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

TEST(EngineRetryCondition, AskedOnlyWhileRetriesRemainSoOnceWhenTheSecondAttemptSucceeds) {
  EngineHarness h("sequential");
  int asked = 0;
  h.library()
      .task("flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("first");
              return "second";
            })
      .retries(3)
      .retry_condition([&](const rh::RunInfo&) {
        ++asked;
        return true;
      });
  auto scope = h.run_task("flaky");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(asked, 1);
}

TEST(EngineRetryCondition, NotAskedAfterTheLastAttempt) {
  EngineHarness h("sequential");
  std::vector<std::uint32_t> asked_at;
  h.library()
      .task("always", []() -> json { throw std::runtime_error("always"); })
      .retries(2)
      .retry_condition([&](const rh::RunInfo& info) {
        asked_at.push_back(info.run_count);
        return true;
      });
  auto scope = h.run_task("always");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Retrying", "Failed"}));
  EXPECT_EQ(asked_at, (std::vector<std::uint32_t>{1, 2}));
}

TEST(EngineRetryCondition, NotAskedWithoutRetries) {
  EngineHarness h("sequential");
  int asked = 0;
  h.library().task("once", []() -> json { throw std::runtime_error("once"); }).retry_condition([&](const rh::RunInfo&) {
    ++asked;
    return true;
  });
  auto scope = h.run_task("once");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(asked, 0);
}

TEST(EngineRetryCondition, SeesTheFailedRun) {
  EngineHarness h("sequential");
  std::vector<rh::RunInfo> seen;
  h.library()
      .task("flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::out_of_range("index 9");
              return "ok";
            })
      .retries(1)
      .retry_condition([&](const rh::RunInfo& info) {
        seen.push_back(info);
        return true;
      });
  auto scope = h.run_task("flaky", {{"x", 1}});
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(seen.size(), 1u);
  const rh::RunInfo& info = seen[0];
  EXPECT_EQ(info.run_id, run.id());
  EXPECT_EQ(info.task_name, "flaky");
  EXPECT_EQ(info.run_name, run.name());
  EXPECT_EQ(info.state.name, "Failed");
  EXPECT_EQ(info.state.type, rh::StateType::Failed);
  EXPECT_EQ(info.run_count, 1u);
  EXPECT_EQ(info.params, (json{{"x", 1}}));
  EXPECT_EQ(info.error_type, "std::out_of_range");
  EXPECT_EQ(info.error_message, "index 9");
  EXPECT_TRUE(info.result.is_null());
}

TEST(EngineRetryCondition, FalseStopsRetrying) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library()
      .task("fatal",
            [&]() -> json {
              ++calls;
              throw std::logic_error("not worth retrying");
            })
      .retries(5)
      .retry_condition([](const rh::RunInfo&) { return false; });
  auto scope = h.run_task("fatal");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(run.message(run.current()), "Task run encountered an exception std::logic_error: not worth retrying");
}

// The condition decides per failure: retried while the error is transient, not after.
TEST(EngineRetryCondition, DecidesEachFailureOnItsOwn) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library()
      .task("mixed",
            [&](rh::TaskContext& ctx) -> json {
              ++calls;
              if (ctx.run_count() < 3) throw std::runtime_error("transient");
              throw std::logic_error("fatal");
            })
      .retries(10)
      .retry_condition([](const rh::RunInfo& info) { return info.error_message == "transient"; });
  auto scope = h.run_task("mixed");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Retrying", "Failed"}));
  EXPECT_EQ(calls, 3);
}

// Any callable works, e.g. an object with operator() (Prefect only calls plain functions).
TEST(EngineRetryCondition, AnyCallableIsACondition) {
  struct OnlyTwice {
    int* asked;
    bool operator()(const rh::RunInfo& info) const {
      ++*asked;
      return info.run_count < 2;
    }
  };
  EngineHarness h("sequential");
  int asked = 0;
  h.library()
      .task("always", []() -> json { throw std::runtime_error("always"); })
      .retries(5)
      .retry_condition(OnlyTwice{&asked});
  auto scope = h.run_task("always");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Failed"}));
  EXPECT_EQ(asked, 2);
}

TEST(EngineRetryCondition, ThrowingConditionMeansNoRetryAndIsLogged) {
  LogCapture logs;
  EngineHarness h("sequential");
  int calls = 0;
  h.library()
      .task("flaky",
            [&]() -> json {
              ++calls;
              throw std::runtime_error("task broke");
            })
      .retries(3)
      .retry_condition([](const rh::RunInfo&) -> bool { throw std::invalid_argument("condition broke"); });
  auto scope = h.run_task("flaky");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(calls, 1);
  // The run keeps the task's error, not the condition's.
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->message, "task broke");
  const auto lines = logs.matching("retry condition raised std::invalid_argument: condition broke");
  ASSERT_EQ(lines.size(), 1u) << logs.dump();
  EXPECT_EQ(lines[0].level, spdlog::level::err);
  EXPECT_NE(lines[0].text.find(run.name()), std::string::npos) << lines[0].text;
}

// A user-raised rh::TimeoutError is a timeout: the condition sees the run as TimedOut.
TEST(EngineRetryCondition, SeesTimedOutForAUserRaisedTimeout) {
  EngineHarness h("sequential");
  std::vector<std::string> seen;
  h.library()
      .task("impatient",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw rh::TimeoutError("too slow");
              return "ok";
            })
      .retries(1)
      .retry_condition([&](const rh::RunInfo& info) {
        seen.push_back(info.state.name + ":" + rh::to_string(info.state.type) + ":" + info.error_type);
        return true;
      });
  auto scope = h.run_task("impatient");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(seen, (std::vector<std::string>{"TimedOut:FAILED:rh::TimeoutError"}));
}

TEST(EngineRetryCondition, DeclinedRetryIsLogged) {
  LogCapture logs;
  EngineHarness h("sequential");
  h.library()
      .task("fatal", []() -> json { throw std::logic_error("fatal"); })
      .retries(3)
      .retry_condition([](const rh::RunInfo&) { return false; });
  auto scope = h.run_task("fatal");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(state_names(run), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(logs.matching("[" + run.name() + "] retry condition declined a retry").size(), 1u) << logs.dump();
  EXPECT_TRUE(logs.matching(" will start ").empty()) << logs.dump();
}

}  // namespace
