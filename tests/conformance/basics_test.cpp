// Conformance: results, failures, nested submission, waiting with a timeout, sleeping,
// volume (10,000 runs) and nested fork-join (fib(20)) on every runner.
#include "runner_params.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

TEST_P(RunnerConformance, ResultsComeBackInInputOrder) {
  auto h = harness();
  h->library().task("square", [](const json& p) { return p.at("x").get<int>() * p.at("x").get<int>(); });
  h->library().flow("squares", [](rh::FlowContext& flow) -> json {
    std::vector<int> xs;
    for (int i = 0; i < 100; ++i) xs.push_back(i);
    return rh::gather(flow.map("square", {{"x", xs}}));
  });
  auto scope = h->run_flow("squares");
  const json result = json::parse(scope->flow_run()->result());
  ASSERT_EQ(result.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(result[i], i * i);
  for (const auto& run : scope->runs()) EXPECT_EQ(state_names(*run), (Names{"Pending", "Running", "Completed"}));
}

TEST_P(RunnerConformance, FailureIsAFailedStateAndATaskRunError) {
  auto h = harness();
  h->library().task("boom", []() -> json { throw std::out_of_range("index 7"); });
  h->library().flow("catcher", [](rh::FlowContext& flow) -> json {
    rh::Future f = flow.submit("boom");
    try {
      f.result();
    } catch (const rh::TaskRunError& e) {
      return {{"state", e.state().name}, {"type", e.error_type()}, {"message", e.error_message()}};
    }
    return "no error";
  });
  auto scope = h->run_flow("catcher");
  EXPECT_EQ(json::parse(scope->flow_run()->result()),
            (json{{"state", "Failed"}, {"type", "std::out_of_range"}, {"message", "index 7"}}));
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Failed"}));
}

TEST_P(RunnerConformance, TasksSubmitNestedRuns) {
  auto h = harness();
  h->library().task("tree", [](rh::TaskContext& ctx, const json& p) -> json {
    const int depth = p.at("depth").get<int>();
    if (depth == 0) return 1;
    rh::Future left = ctx.submit("tree", {{"depth", depth - 1}});
    rh::Future right = ctx.submit("tree", {{"depth", depth - 1}});
    return left.result().get<int>() + right.result().get<int>();
  });
  auto scope = h->run_task("tree", {{"depth", 4}});
  EXPECT_EQ(scope->runs().at(0)->result(), "16");
  EXPECT_EQ(scope->runs().size(), 31u);
  for (const auto& run : scope->runs()) EXPECT_EQ(run->state(), host::StateId::Completed);
}

// A run waiting for its retry delay is unfinished on every runner, sequential included.
TEST_P(RunnerConformance, WaitWithTimeoutReturnsFalseWhileTheRunGoesOn) {
  auto h = harness();
  h->library()
      .task("flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("first attempt fails");
              return "second attempt";
            })
      .retries(1)
      .retry_delay(0.3);
  h->library().flow("waiter", [](rh::FlowContext& flow) -> json {
    rh::Future f = flow.submit("flaky");
    const bool early = f.wait(20ms);
    const bool later = f.wait();
    return {{"early", early}, {"later", later}, {"result", f.result()}};
  });
  auto scope = h->run_flow("waiter");
  EXPECT_EQ(json::parse(scope->flow_run()->result()),
            (json{{"early", false}, {"later", true}, {"result", "second attempt"}}));
}

TEST_P(RunnerConformance, SleepCompletesAfterTheTimePassed) {
  auto h = harness();
  h->library().task("nap", [](rh::TaskContext& ctx) -> json {
    const auto start = std::chrono::steady_clock::now();
    ctx.sleep(50ms);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  auto scope = h->run_task("nap");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(run.state(), host::StateId::Completed);
  EXPECT_GE(json::parse(run.result()).get<double>(), 0.05);
}

TEST_P(RunnerConformance, TenThousandRuns) {
  auto h = harness();
  h->library().task("noop", []() {});
  h->library().flow("many", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    futures.reserve(10000);
    for (int i = 0; i < 10000; ++i) futures.push_back(flow.submit("noop"));
    return rh::gather(futures).size();
  });
  auto scope = h->run_flow("many");
  EXPECT_EQ(scope->flow_run()->result(), "10000");
  ASSERT_EQ(scope->runs().size(), 10000u);
  std::size_t completed = 0;
  for (const auto& run : scope->runs()) completed += run->state() == host::StateId::Completed ? 1 : 0;
  EXPECT_EQ(completed, 10000u);
}

// Every call waits on its two children: with two workers a pool that blocked a worker per
// waiting task would deadlock.
TEST_P(RunnerConformance, NestedFib20WithTwoWorkers) {
  auto h = harness(/*worker_count=*/2);
  h->library().task("fib", [](rh::TaskContext& ctx, const json& p) -> json {
    const int n = p.at("n").get<int>();
    if (n < 2) return n;
    rh::Future a = ctx.submit("fib", {{"n", n - 1}});
    rh::Future b = ctx.submit("fib", {{"n", n - 2}});
    return a.result().get<int>() + b.result().get<int>();
  });
  auto scope = h->run_task("fib", {{"n", 20}});
  EXPECT_EQ(scope->runs().at(0)->result(), "6765");
  EXPECT_EQ(scope->runs().size(), 21891u);
}

// Runs meet at an event: parallel runners get all four inside at once, sequential one.
TEST_P(RunnerConformance, ConcurrencyIsReachedOnlyByParallelRunners) {
  auto h = harness();
  rh::Event all_inside;
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  const bool parallel = GetParam().parallel;
  h->library().task("meet", [&](rh::TaskContext&) {
    const int now = ++inside;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    if (now == 4) all_inside.set();
    all_inside.wait(parallel ? std::chrono::milliseconds(60000) : std::chrono::milliseconds(100));
    --inside;
  });
  h->library().flow("meeting", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 4; ++i) futures.push_back(flow.submit("meet"));
    rh::gather(futures);
    return nullptr;
  });
  auto scope = h->run_flow("meeting");
  EXPECT_EQ(scope->flow_run()->state(), host::StateId::Completed);
  EXPECT_EQ(most.load(), parallel ? 4 : 1);
}

// Waiting suspends: one worker holds eight waiting runs at once.
TEST_P(RunnerConformance, WaitingDoesNotHoldAWorker) {
  if (!GetParam().parallel) GTEST_SKIP() << "a sequential runner runs one thing at a time by design";
  auto h = harness(/*worker_count=*/1);
  rh::Event all_inside;
  std::atomic<int> inside{0};
  h->library().task("park", [&](rh::TaskContext& ctx) -> json {
    if (++inside == 8) all_inside.set();
    ctx.sleep(1ms);
    return all_inside.wait(std::chrono::seconds(60));
  });
  h->library().flow("parking", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 8; ++i) futures.push_back(flow.submit("park"));
    return rh::gather(futures);
  });
  auto scope = h->run_flow("parking");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), json(std::vector<bool>(8, true)));
}

// The host frees a scope as soon as waiting on it returns. Its last run once went on to read
// the scope (its limit of unfinished runs) after the count that ends the wait reached zero,
// so a scope freed at once was read after free (TSan caught it once, on a run its timeout
// ended from the timer thread). Every round frees its scope at once; the sanitizer builds
// report any access that comes after.
TEST_P(RunnerConformance, AScopeFreedTheMomentItsLastRunFinishesIsNotTouchedAfter) {
  auto h = harness();
  h->library().task("noop", []() -> json { return 1; });
  for (int round = 0; round < 2000; ++round) {
    auto scope = h->run_task("noop");
    ASSERT_EQ(scope->runs().at(0)->state(), host::StateId::Completed) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Runners, RunnerConformance, ::testing::ValuesIn(kRunners), runner_param_name);

}  // namespace
}  // namespace rh::testing
