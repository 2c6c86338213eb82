// Retries without a delay, on the sequential runner: how many attempts run, what triggers
// a retry (an exception, a user-raised rh::TimeoutError) and what does not (a crash, an
// upstream NotReady, cancellation), and run_count inside the task. Delays, timeouts and
// retry conditions are in their own files.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::runs_of;
using rh::testing::state_names;
using Names = std::vector<std::string>;
using Counts = std::vector<std::uint32_t>;

TEST(EngineRetries, RetriesAreExtraAttemptsUntilOneSucceeds) {
  EngineHarness h("sequential");
  Counts seen;
  h.library()
      .task("flaky",
            [&](rh::TaskContext& ctx) -> json {
              seen.push_back(ctx.run_count());
              if (ctx.run_count() < 3) throw std::runtime_error("attempt " + std::to_string(ctx.run_count()));
              return "ok";
            })
      .retries(2);
  auto scope = h.run_task("flaky");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Retrying", "Completed"}));
  EXPECT_EQ(seen, (Counts{1, 2, 3}));
  EXPECT_EQ(run.run_count(), 3u);
  EXPECT_EQ(run.result(), "\"ok\"");
}

TEST(EngineRetries, ExhaustedRetriesEndFailedWithTheLastError) {
  EngineHarness h("sequential");
  Counts seen;
  h.library()
      .task("always",
            [&](rh::TaskContext& ctx) -> json {
              seen.push_back(ctx.run_count());
              throw std::runtime_error("attempt " + std::to_string(ctx.run_count()));
            })
      .retries(3);
  auto scope = h.run_task("always");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Retrying", "Retrying", "Failed"}));
  EXPECT_EQ(seen, (Counts{1, 2, 3, 4}));
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->message, "attempt 4");
  EXPECT_EQ(run.message(run.current()), "Task run encountered an exception std::runtime_error: attempt 4");
}

TEST(EngineRetries, WithoutRetriesOneFailureIsFinal) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library().task("once", [&]() -> json {
    ++calls;
    throw std::runtime_error("no second chance");
  });
  auto scope = h.run_task("once");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(calls, 1);
}

TEST(EngineRetries, UserRaisedTimeoutErrorIsRetried) {
  EngineHarness h("sequential");
  h.library()
      .task("slow_service",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw rh::TimeoutError("service did not answer");
              return ctx.run_count();
            })
      .retries(1);
  auto scope = h.run_task("slow_service");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(run.result(), "2");
}

// A non-std throw is a crash: never retried.
TEST(EngineRetries, CrashIsNotRetried) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library()
      .task("crash",
            [&]() -> json {
              ++calls;
              throw 42;
            })
      .retries(3);
  auto scope = h.run_task("crash");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Crashed"}));
  EXPECT_EQ(calls, 1);
}

TEST(EngineRetries, CancellationIsNotRetried) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library()
      .task("cancelled",
            [&]() -> json {
              ++calls;
              throw rh::CancelledError("stop requested");
            })
      .retries(3);
  auto scope = h.run_task("cancelled");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Cancelled"}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(run.run_count(), 1u);
}

TEST(EngineRetries, UpstreamNotReadyIsNotRetried) {
  EngineHarness h("sequential");
  int calls = 0;
  h.library().task("boom", []() -> json { throw std::runtime_error("upstream broke"); });
  h.library()
      .task("downstream",
            [&](const json& p) -> json {
              ++calls;
              return p;
            })
      .retries(3);
  h.library().flow("chain", [](rh::FlowContext& flow) -> json {
    rh::Future up = flow.submit("boom");
    rh::Future down = flow.submit("downstream", {{"in", up}});
    down.wait();
    return down.state().name;
  });
  auto scope = h.run_flow("chain");
  EXPECT_EQ(scope->flow_run()->result(), "\"NotReady\"");
  const auto& down = *runs_of(*scope, "downstream").at(0);
  EXPECT_EQ(state_names(down), (Names{"Pending", "NotReady"}));
  EXPECT_EQ(down.run_count(), 0u);
  EXPECT_EQ(calls, 0);
}

// The run's params and name stay the same across attempts; only run_count moves.
TEST(EngineRetries, EachAttemptSeesTheSameRunWithTheNextRunCount) {
  EngineHarness h("sequential");
  std::vector<json> attempts;
  h.library()
      .task("flaky",
            [&](rh::TaskContext& ctx, const json& p) -> json {
              attempts.push_back({{"run_id", ctx.run_id()},
                                  {"run_name", std::string(ctx.run_name())},
                                  {"run_count", ctx.run_count()},
                                  {"params", p}});
              if (ctx.run_count() < 3) throw std::runtime_error("again");
              return nullptr;
            })
      .retries(5);
  auto scope = h.run_task("flaky", {{"x", 7}});
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(attempts.size(), 3u);
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    EXPECT_EQ(attempts[i],
              (json{{"run_id", run.id()}, {"run_name", run.name()}, {"run_count", i + 1}, {"params", {{"x", 7}}}}));
  }
}

}  // namespace
