// Conformance: interrupting the host (Ctrl-C) and per-attempt timeouts end sleeps, waits
// and CPU loops on every runner.
#include "arrivals.hpp"
#include "runner_params.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

TEST_P(RunnerConformance, InterruptCancelsSleepingRunsAndRunsThatNeverStarted) {
  auto h = harness();
  Arrivals started;
  h->library().task("sleeper", [&](rh::TaskContext& ctx) {
    started.arrive();
    ctx.sleep(std::chrono::seconds(120));  // throws rh::CancelledError on interrupt
  });
  h->library().flow("sleepers", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 3; ++i) futures.push_back(flow.submit("sleeper"));
    rh::wait(futures);
    return nullptr;
  });
  // The host thread starts the runner (it becomes the sequential runner's home thread)
  // and runs the flow; this thread plays the signal handler.
  std::unique_ptr<host::RunScope> scope;
  std::thread host_thread([&] { scope = h->run_flow("sleepers"); });
  // A sequential runner holds the first sleeper inline: only it can have started.
  EXPECT_TRUE(started.wait_for(GetParam().parallel ? 3 : 1)) << "hang guard: the runs did not start";
  h->engine().interrupt();
  host_thread.join();

  // On the sequential runner the flow's later submissions come after the interrupt, which
  // refuses them (rh::CancelledError): they never exist.
  ASSERT_EQ(scope->runs().size(), GetParam().parallel ? 3u : 1u);
  int ran = 0;
  for (const auto& run : scope->runs()) {
    EXPECT_EQ(run->state(), host::StateId::Cancelled) << run->name();
    ran += run->started() ? 1 : 0;
    if (!run->started()) {
      EXPECT_EQ(state_names(*run), (Names{"Pending", "Cancelled"}));
    }
  }
  EXPECT_EQ(ran, GetParam().parallel ? 3 : 1);
}

TEST_P(RunnerConformance, TimeoutEndsASleepAtTheDeadline) {
  auto h = harness();
  h->library().task("long_nap", [](rh::TaskContext& ctx) { ctx.sleep(std::chrono::seconds(30)); }).timeout(0.1);
  const auto start = std::chrono::steady_clock::now();
  auto scope = h->run_task("long_nap");
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(run.message(run.current()), "Task run exceeded timeout of 0.1 second(s)");
  EXPECT_LT(elapsed, 20.0) << "hang guard: the sleep was not interrupted";
}

TEST_P(RunnerConformance, CpuBoundCodeSeesCancelledAtTheDeadline) {
  auto h = harness();
  h->library()
      .task("spin",
            [](rh::TaskContext& ctx) -> json {
              const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(30);
              while (!ctx.cancelled() && std::chrono::steady_clock::now() < guard) {
              }
              return ctx.cancelled();
            })
      .timeout(0.1);
  auto scope = h->run_task("spin");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_TRUE(run.result().empty()) << "the late result of a timed-out attempt is discarded";
}

// A task that ignores cancellation is reported TimedOut before it returns.
TEST_P(RunnerConformance, UncooperativeTaskIsTimedOutBeforeItReturns) {
  auto h = harness();
  std::atomic<std::int64_t> returned_at_us{0};
  h->library()
      .task("stubborn",
            [&]() -> json {
              const auto until = std::chrono::steady_clock::now() + 600ms;
              while (std::chrono::steady_clock::now() < until) {
              }
              returned_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
              return "late";
            })
      .timeout(0.1);
  auto scope = h->run_task("stubborn");
  h->stop();  // waits for the abandoned attempt to return
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  ASSERT_NE(returned_at_us.load(), 0);
  EXPECT_LT(run.current().time_us, returned_at_us.load());
  EXPECT_TRUE(run.result().empty());
}

TEST_P(RunnerConformance, TimeoutIsRetriedLikeAFailure) {
  auto h = harness();
  h->library()
      .task("slow_then_fast",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) ctx.sleep(std::chrono::seconds(30));
              return ctx.run_count();
            })
      .timeout(0.1)
      .retries(1);
  auto scope = h->run_task("slow_then_fast");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(run.result(), "2");
}

}  // namespace
}  // namespace rh::testing
