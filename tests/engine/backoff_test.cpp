// exponential_backoff(f) is expanded by the host with the task's final retry count: one
// delay f*2^i per retry, whatever the builder order and after a config override of
// retries. Read back from the AwaitingRetry messages, on the sequential runner.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using Names = std::vector<std::string>;

Names awaiting_retry_messages(const rh::host::Run& run) {
  Names out;
  for (const auto& entry : run.history()) {
    if (entry.id == rh::host::StateId::AwaitingRetry) out.emplace_back(run.message(entry));
  }
  return out;
}

TEST(EngineBackoff, BackoffDeclaredBeforeRetriesStillCoversEveryRetry) {
  EngineHarness h("sequential");
  h.library()
      .task("always", []() -> json { throw std::runtime_error("always"); })
      .retry_delay(rh::exponential_backoff(0.001))
      .retries(4);
  auto scope = h.run_task("always");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(run.state(), rh::host::StateId::Failed);
  EXPECT_EQ(awaiting_retry_messages(run), (Names{"Retry 1/4 in 0.001 second(s)", "Retry 2/4 in 0.002 second(s)",
                                                 "Retry 3/4 in 0.004 second(s)", "Retry 4/4 in 0.008 second(s)"}));
}

TEST(EngineBackoff, BackoffFollowsARetriesOverride) {
  EngineHarness h("sequential");
  h.library()
      .task("always", []() -> json { throw std::runtime_error("always"); })
      .retries(1)
      .retry_delay(rh::exponential_backoff(0.001));
  h.engine();
  h.registry().apply_overrides(json{{"always", {{"retries", 3}}}}, "test config");
  auto scope = h.run_task("always");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(run.state(), rh::host::StateId::Failed);
  EXPECT_EQ(awaiting_retry_messages(run),
            (Names{"Retry 1/3 in 0.001 second(s)", "Retry 2/3 in 0.002 second(s)", "Retry 3/3 in 0.004 second(s)"}));
}

}  // namespace
