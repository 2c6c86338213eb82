// Conformance: the runner lifecycle (create -> start -> submit -> shutdown), driven directly
// through the ABI as the host drives it. Submitting outside start..shutdown is refused with
// a message; shutdown waits for work already submitted.
#include "runner_params.hpp"

#include "runtime/timer_service.hpp"

#include <gmock/gmock.h>

#include <atomic>

namespace rh::testing {
namespace {

using ::testing::HasSubstr;

void count_call(void* arg) { static_cast<std::atomic<int>*>(arg)->fetch_add(1); }

// The timers a session would give the runner; they outlive it.
host::TimerService& timers() {
  static host::TimerService service;
  return service;
}

std::unique_ptr<host::RunnerInstance> make_runner(const RunnerParam& param) {
  host::PluginLoader loader;
  return std::make_unique<host::RunnerInstance>(
      loader.load_runner(runner_path(param.name)),
      param.takes_max_workers ? nlohmann::json{{"max_workers", 2}} : nlohmann::json::object(), timers());
}

std::string refusal(host::RunnerInstance& runner, std::atomic<int>& calls) {
  try {
    runner.link().submit(&count_call, &calls);
  } catch (const host::RunnerRefused& e) {
    return e.what();
  }
  return "accepted";
}

TEST_P(RunnerConformance, SubmittingBeforeStartIsRefused) {
  auto runner = make_runner(GetParam());
  std::atomic<int> calls{0};
  const std::string message = refusal(*runner, calls);
  EXPECT_THAT(message, HasSubstr("runner '" + GetParam().name + "' refused work"));
  EXPECT_THAT(message, HasSubstr("not started"));
  EXPECT_EQ(calls.load(), 0);
}

TEST_P(RunnerConformance, ShutdownWaitsForSubmittedWorkThenRefusesMore) {
  auto runner = make_runner(GetParam());
  runner->start();
  std::atomic<int> calls{0};
  for (int i = 0; i < 1000; ++i) runner->link().submit(&count_call, &calls);
  runner->shutdown();
  EXPECT_EQ(calls.load(), 1000);
  const std::string message = refusal(*runner, calls);
  EXPECT_THAT(message, HasSubstr("shut down"));
  EXPECT_EQ(calls.load(), 1000);
}

// Every round submits from this thread (for tbb: an enqueue from outside the arena) and frees
// the runner as soon as shutdown returns. The tbb runner's shutdown once returned when its
// count of such items reached zero, while the worker that decremented it still went on to read
// the runner: the sanitizer builds report that use after free (TSan in every round).
TEST_P(RunnerConformance, FreeingTheRunnerRightAfterShutdownLeavesNoWorkerInIt) {
  for (int round = 0; round < 50; ++round) {
    auto runner = make_runner(GetParam());
    runner->start();
    std::atomic<int> calls{0};
    runner->link().submit(&count_call, &calls);
    runner->shutdown();
    runner.reset();
    ASSERT_EQ(calls.load(), 1) << "round " << round;
  }
}

TEST_P(RunnerConformance, StartingTwiceIsRefused) {
  auto runner = make_runner(GetParam());
  runner->start();
  try {
    runner->start();
    ADD_FAILURE() << "a second start was accepted";
  } catch (const host::PluginError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("already started"));
  }
}

TEST_P(RunnerConformance, UnknownOptionIsRefusedByName) {
  host::PluginLoader loader;
  try {
    host::RunnerInstance runner(loader.load_runner(runner_path(GetParam().name)), nlohmann::json{{"bogus", 1}},
                                timers());
    ADD_FAILURE() << "an unknown option was accepted";
  } catch (const host::PluginError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("runner '" + GetParam().name + "'"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("unknown option 'bogus'"));
  }
}

}  // namespace
}  // namespace rh::testing
