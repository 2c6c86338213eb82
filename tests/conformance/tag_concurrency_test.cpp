// Conformance: tag concurrency limits on every runner. A slot is taken only once the
// run's dependencies resolved, held while it runs, released at its end and during a retry
// delay; several tags are taken all or nothing; a limit of 0 cancels; tags without a limit
// are unlimited. Plus the case on the fiber runner.
#include "runner_params.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

host::EngineOptions limits(std::map<std::string, std::int64_t> tags) {
  host::EngineOptions options;
  options.concurrency_limits = std::move(tags);
  return options;
}

// Highest value a counter reached.
class HighWater {
 public:
  int enter() {
    const int now = ++inside_;
    int seen = most_.load();
    while (now > seen && !most_.compare_exchange_weak(seen, now)) {
    }
    return now;
  }
  void leave() { --inside_; }
  int most() const { return most_.load(); }

 private:
  std::atomic<int> inside_{0};
  std::atomic<int> most_{0};
};

// The tagged run waits for an upstream that cannot finish before the flow looked: while
// it waits it holds no slot; once running it holds one; at its end it holds none.
TEST_P(RunnerConformance, SlotIsTakenOnlyAfterDependenciesResolve) {
  std::atomic<std::int64_t> in_use_inside{-1};
  auto h = harness(4, limits({{"db", 1}}));
  rh::Event release;
  // Read at run time: the engine (and the library) are set up by the first run.
  auto in_use = [&h](const char* tag) { return h->engine().tag_limits().in_use(tag); };
  h->library()
      .task("upstream",
            [&](rh::TaskContext& ctx) -> json {
              // The first attempt fails, so even a runner that runs it inline leaves it
              // unfinished; the second waits until the flow has looked.
              if (ctx.run_count() == 1) throw std::runtime_error("not yet");
              return release.wait(60s);
            })
      .retries(1)
      .retry_delay(0.01);
  h->library().task("tagged", [&]() { in_use_inside = in_use("db"); }).tags({"db"});
  h->library().flow("gated", [&](rh::FlowContext& flow) -> json {
    rh::Future up = flow.submit("upstream");
    rh::Future down = flow.submit("tagged", json::object(), rh::wait_for({up}));
    const json seen = {{"in_use", in_use("db")}, {"up_done", up.done()}, {"down_done", down.done()}};
    release.set();
    rh::gather({up, down});
    return seen;
  });
  auto scope = h->run_flow("gated");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{{"in_use", 0}, {"up_done", false}, {"down_done", false}}));
  EXPECT_EQ(in_use_inside.load(), 1) << "the running tagged run holds its slot";
  EXPECT_EQ(in_use("db"), 0) << "released at the end";
  const auto& tagged = *runs_of(*scope, "tagged").at(0);
  EXPECT_EQ(state_names(tagged), (Names{"Pending", "Running", "Completed"}));
}

// With limit 1, B runs entirely inside A's retry delay: A gave its slot back while it
// waited, and took it again before Retrying.
TEST_P(RunnerConformance, RetryDelayReleasesTheSlot) {
  auto h = harness(4, limits({{"db", 1}}));
  rh::Event a_awaits_retry;
  h->bus().subscribe([&](const host::TaskRunEvent& event) {
    if (event.task_name == "a" && event.state == host::StateId::AwaitingRetry) a_awaits_retry.set();
  });
  h->library()
      .task("a",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("once");
              return "a";
            })
      .retries(1)
      .retry_delay(0.2)
      .tags({"db"});
  h->library().task("b", []() { return "b"; }).tags({"db"});
  h->library().flow("sharing", [&](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("a");
    if (!a_awaits_retry.wait(60s)) return "a never reached AwaitingRetry";
    rh::Future b = flow.submit("b");
    return rh::gather({a, b});
  });
  auto scope = h->run_flow("sharing");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"a", "b"}));
  const auto& a = *runs_of(*scope, "a").at(0);
  const auto& b = *runs_of(*scope, "b").at(0);
  ASSERT_EQ(state_names(a), (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "Completed"}));
  EXPECT_EQ(state_names(b), (Names{"Pending", "Running", "Completed"}));
  EXPECT_GE(b.start_time_us(), a.history()[2].time_us);
  EXPECT_LE(b.end_time_us(), a.history()[3].time_us) << "b waited for a's slot through the retry delay";
  EXPECT_EQ(h->engine().tag_limits().in_use("db"), 0);
}

// X holds "a". Y needs "a" and "b": it must wait without taking "b", so Z (needing only
// "b") runs and finishes while X still runs. Y runs after X.
TEST_P(RunnerConformance, SeveralTagsAreTakenAllOrNothing) {
  auto h = harness(4, limits({{"a", 1}, {"b", 1}}));
  auto in_use = [&h](const char* tag) { return h->engine().tag_limits().in_use(tag); };
  h->library().task("y", []() { return "y"; }).tags({"a", "b"});
  h->library().task("z", []() { return "z"; }).tags({"b"});
  h->library()
      .task(
          "x",
          [&](rh::TaskContext& ctx) -> json {
            rh::Future y = ctx.submit("y");
            rh::Future z = ctx.submit("z");
            // Hang guard only: if y held "b", z could never run.
            const bool z_done = z.wait(60s);
            return {
                {"z_done", z_done}, {"y_state", y.state().name}, {"a_in_use", in_use("a")}, {"b_in_use", in_use("b")}};
          })
      .tags({"a"});
  auto scope = h->run_task("x");
  const auto& x = *runs_of(*scope, "x").at(0);
  EXPECT_EQ(json::parse(x.result()),
            (json{{"z_done", true}, {"y_state", "Pending"}, {"a_in_use", 1}, {"b_in_use", 0}}));
  const auto& y = *runs_of(*scope, "y").at(0);
  const auto& z = *runs_of(*scope, "z").at(0);
  EXPECT_EQ(state_names(y), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(state_names(z), (Names{"Pending", "Running", "Completed"}));
  EXPECT_GE(y.start_time_us(), x.end_time_us());
  EXPECT_EQ(in_use("a"), 0);
  EXPECT_EQ(in_use("b"), 0);
}

TEST_P(RunnerConformance, ZeroLimitCancelsRunsWithTheTag) {
  std::atomic<int> calls{0};
  auto h = harness(4, limits({{"frozen", 0}, {"db", 5}}));
  h->library()
      .task("never",
            [&]() {
              ++calls;
              return 1;
            })
      .tags({"db", "frozen"});
  h->library().flow("caller", [](rh::FlowContext& flow) -> json {
    rh::Future f = flow.submit("never");
    f.wait();
    return f.state().name;
  });
  auto scope = h->run_flow("caller");
  EXPECT_EQ(scope->flow_run()->result(), "\"Cancelled\"");
  const auto& run = *runs_of(*scope, "never").at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Cancelled"}));
  EXPECT_EQ(calls.load(), 0);
  const std::string message(run.message(run.current()));
  EXPECT_NE(message.find("'frozen'"), std::string::npos) << message;
  EXPECT_EQ(h->engine().tag_limits().in_use("db"), 0) << "a cancelled run holds no slot of its other tags";
}

// A tag without a configured limit limits nothing, even when other tags are limited.
TEST_P(RunnerConformance, TagsWithoutALimitAreUnlimited) {
  std::atomic<int> inside{0};
  HighWater high;
  const bool parallel = GetParam().parallel;
  auto h = harness(4, limits({{"db", 1}}));
  rh::Event all_inside;
  h->library()
      .task("free",
            [&](rh::TaskContext&) {
              high.enter();
              if (++inside == 4) all_inside.set();
              // Parallel runners get all four inside at once; a sequential one cannot.
              all_inside.wait(parallel ? std::chrono::milliseconds(60000) : std::chrono::milliseconds(1));
              high.leave();
            })
      .tags({"free", "other"});
  h->library().flow("meeting", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 4; ++i) futures.push_back(flow.submit("free"));
    return rh::gather(futures).size();
  });
  auto scope = h->run_flow("meeting");
  EXPECT_EQ(scope->flow_run()->result(), "4");
  EXPECT_EQ(high.most(), parallel ? 4 : 1);
  EXPECT_EQ(h->engine().tag_limits().capacity("free"), -1);
  EXPECT_EQ(h->engine().tag_limits().in_use("free"), 0);
}

// A limited tag still bounds a run that also carries unlimited tags.
TEST_P(RunnerConformance, LimitHoldsForRunsWithSeveralTags) {
  HighWater high;
  auto h = harness(4, limits({{"db", 1}}));
  h->library()
      .task("query",
            [&](rh::TaskContext& ctx) {
              high.enter();
              ctx.sleep(2ms);
              high.leave();
            })
      .tags({"free", "db"});
  h->library().flow("queries", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 8; ++i) futures.push_back(flow.submit("query"));
    return rh::gather(futures).size();
  });
  auto scope = h->run_flow("queries");
  EXPECT_EQ(scope->flow_run()->result(), "8");
  EXPECT_EQ(high.most(), 1);
}

// Slots are held through the final hooks and released after them.
TEST_P(RunnerConformance, SlotIsHeldThroughTheFinalHooks) {
  std::atomic<std::int64_t> in_hook{-1};
  auto h = harness(4, limits({{"db", 1}}));
  auto in_use = [&h] { return h->engine().tag_limits().in_use("db"); };
  h->library().task("query", []() { return 1; }).tags({"db"}).on_completion([&](const rh::RunInfo&) {
    in_hook = in_use();
  });
  auto scope = h->run_task("query");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(in_hook.load(), 1);
  EXPECT_EQ(in_use(), 0);
}

// A run that times out gives its slot back; the run queued behind it then runs.
TEST_P(RunnerConformance, TimedOutRunReleasesItsSlot) {
  auto h = harness(4, limits({{"db", 1}}));
  h->library().task("stuck", [](rh::TaskContext& ctx) { ctx.sleep(30s); }).tags({"db"}).timeout(0.1);
  h->library().task("next", []() { return "next"; }).tags({"db"});
  h->library().flow("queue", [](rh::FlowContext& flow) -> json {
    rh::Future stuck = flow.submit("stuck");
    rh::Future next = flow.submit("next");
    rh::wait({stuck, next});
    return {stuck.state().name, next.state().name};
  });
  auto scope = h->run_flow("queue");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"TimedOut", "Completed"}));
  EXPECT_GE(runs_of(*scope, "next").at(0)->start_time_us(), runs_of(*scope, "stuck").at(0)->end_time_us());
  EXPECT_EQ(h->engine().tag_limits().in_use("db"), 0);
}

// The case: 20 runs tagged db, limit 2, fiber runner with 8 workers.
TEST(TagConcurrencyOnFiber, TwentyRunsLimitTwoEightWorkers) {
  HighWater high;
  std::mutex mutex;
  std::vector<std::int64_t> in_use_seen;
  EngineHarness h("fiber", json{{"max_workers", 8}}, limits({{"db", 2}}));
  auto in_use = [&h] { return h.engine().tag_limits().in_use("db"); };
  h.library()
      .task("query",
            [&](rh::TaskContext& ctx) {
              high.enter();
              {
                std::lock_guard<std::mutex> lock(mutex);
                in_use_seen.push_back(in_use());
              }
              ctx.sleep(5ms);
              high.leave();
            })
      .tags({"db"});
  h.library().flow("queries", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 20; ++i) futures.push_back(flow.submit("query"));
    return rh::gather(futures).size();
  });
  auto scope = h.run_flow("queries");
  EXPECT_EQ(scope->flow_run()->result(), "20");
  EXPECT_LE(high.most(), 2);
  EXPECT_GE(high.most(), 1);
  const auto runs = runs_of(*scope, "query");
  ASSERT_EQ(runs.size(), 20u);
  for (const auto& run : runs) EXPECT_EQ(state_names(*run), (Names{"Pending", "Running", "Completed"}));
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(in_use_seen.size(), 20u);
  for (std::int64_t used : in_use_seen) {
    EXPECT_GE(used, 1);
    EXPECT_LE(used, 2);
  }
  EXPECT_EQ(in_use(), 0);
}

}  // namespace
}  // namespace rh::testing
