// Conformance: retry delays hold no worker, tag limits hold, dependencies and the
// TaskRunWaiter behave the same on every runner.
#include "runner_params.hpp"

#include "events/task_run_waiter.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;

// While A waits for its retry, B (submitted after A) runs to completion on the only worker.
TEST_P(RunnerConformance, RetryDelayHoldsNoWorker) {
  auto h = harness(/*worker_count=*/1);
  h->library()
      .task("flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("once");
              return "ok";
            })
      .retries(1)
      .retry_delay(0.3);
  h->library().task("quick", []() { return "quick"; });
  h->library().flow("both", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("flaky");
    rh::Future b = flow.submit("quick");
    return rh::gather({a, b});
  });
  auto scope = h->run_flow("both");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"ok", "quick"}));
  const auto& flaky = *runs_of(*scope, "flaky").at(0);
  const auto& quick = *runs_of(*scope, "quick").at(0);
  EXPECT_EQ(state_names(flaky), (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "Completed"}));
  EXPECT_LT(quick.end_time_us(), flaky.history()[3].time_us);
}

TEST_P(RunnerConformance, TagLimitBoundsRunsInsideAndAllComplete) {
  host::EngineOptions options;
  options.concurrency_limits = {{"db", 2}};
  auto h = harness(/*worker_count=*/8, options);
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  h->library()
      .task("query",
            [&](rh::TaskContext& ctx) {
              const int now = ++inside;
              int seen = most.load();
              while (now > seen && !most.compare_exchange_weak(seen, now)) {
              }
              ctx.sleep(std::chrono::milliseconds(5));
              --inside;
            })
      .tags({"db"});
  h->library().flow("queries", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 20; ++i) futures.push_back(flow.submit("query"));
    return rh::gather(futures).size();
  });
  auto scope = h->run_flow("queries");
  EXPECT_EQ(scope->flow_run()->result(), "20");
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(h->engine().tag_limits().in_use("db"), 0);
}

TEST_P(RunnerConformance, FuturesAsParametersAndWaitFor) {
  auto h = harness();
  h->library().task("value", [](const json& p) { return p.at("v"); });
  h->library().task("sum", [](const json& p) { return p.at("x").get<int>() + p.at("y").get<int>(); });
  h->library().flow("deps", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("value", {{"v", 40}});
    rh::Future b = flow.submit("value", {{"v", 2}});
    rh::Future c = flow.submit("sum", {{"x", a}, {"y", b}}, rh::wait_for({a}));
    return c.result();
  });
  auto scope = h->run_flow("deps");
  EXPECT_EQ(scope->flow_run()->result(), "42");
  const auto& sum = *runs_of(*scope, "sum").at(0);
  EXPECT_EQ(json::parse(sum.params()), (json{{"x", 40}, {"y", 2}}));
}

TEST_P(RunnerConformance, FailedUpstreamMakesDownstreamNotReadyAndCascades) {
  auto h = harness();
  h->library().task("boom", []() -> json { throw std::runtime_error("upstream broke"); });
  h->library().task("next", [](const json& p) { return p; });
  h->library().flow("chain", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("boom");
    rh::Future b = flow.submit("next", {{"in", a}});
    rh::Future c = flow.submit("next", json::object(), rh::wait_for({b}));
    rh::wait({a, b, c});
    return {b.state().name, c.state().name};
  });
  auto scope = h->run_flow("chain");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"NotReady", "NotReady"}));
  const auto nexts = runs_of(*scope, "next");
  ASSERT_EQ(nexts.size(), 2u);
  for (const auto& run : nexts) {
    EXPECT_EQ(state_names(*run), (Names{"Pending", "NotReady"}));
    EXPECT_FALSE(run->started());
  }
  EXPECT_NE(nexts[0]->message(nexts[0]->current()).find("did not reach a 'COMPLETED' state"), std::string::npos);
}

TEST_P(RunnerConformance, TaskRunWaiterWaitsFromInsideARun) {
  auto h = harness(4);
  h->library().task("work", [](rh::TaskContext& ctx) {
    ctx.sleep(std::chrono::milliseconds(20));
    return "done";
  });
  h->library().task("watch", [](const json& p) -> json {
    auto waiter = rh::TaskRunWaiter::instance();
    auto state = waiter.wait_for_task_run(p.at("id").get<std::uint64_t>(), std::chrono::seconds(60));
    return state ? json(state->name) : json("timeout");
  });
  h->library().flow("watching", [](rh::FlowContext& flow) -> json {
    rh::Future work = flow.submit("work");
    rh::Future watch = flow.submit("watch", {{"id", work.run_id()}});
    return watch.result();
  });
  auto scope = h->run_flow("watching");
  EXPECT_EQ(scope->flow_run()->result(), "\"Completed\"");
}

}  // namespace
}  // namespace rh::testing
