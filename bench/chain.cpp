// Workload 2: a linear chain of 100,000 runs (RH_BENCH_CHAIN_RUNS), each depending on the
// previous one: latency per hop. Two ways to depend: rh::wait_for (ordering only) and a
// future parameter (the previous result, resolved by the engine; the chain counts up to N,
// which checks the order). Raw hops: a plain call, a task spawning the next one into a
// tbb::task_group, and a fiber created, run and joined.
#include "bench_support.hpp"
#include "raw_primitives.hpp"

#include <atomic>

namespace rh::bench {
namespace {

std::int64_t hops() { return size("RH_BENCH_CHAIN_RUNS", 100000, 2000); }

void raw_call(benchmark::State& state) {
  const std::int64_t n = hops();
  baseline(
      state, "call", static_cast<double>(n),
      [n] {
        for (std::int64_t i = 0; i < n; ++i) raw_noop();
        return 0;
      },
      no_check, "hop");
}

// Each task spawns its successor: the latency of a spawn -> steal/pop -> run hop.
struct TbbChain {
  tbb::task_group* group;
  std::int64_t n;
  std::atomic<std::int64_t>* reached;
  void operator()(std::int64_t i) const {
    raw_noop();
    reached->store(i + 1, std::memory_order_relaxed);
    if (i + 1 < n) group->run([self = *this, i] { self(i + 1); });
  }
};

void raw_task_group(benchmark::State& state) {
  const std::int64_t n = hops();
  RawArena arena(workers());
  std::atomic<std::int64_t> reached{0};
  baseline(
      state, "task_group", static_cast<double>(n),
      [&] {
        reached = 0;
        arena.execute([&] {
          tbb::task_group group;
          group.run([chain = TbbChain{&group, n, &reached}] { chain(0); });
          group.wait();
        });
        return reached.load();
      },
      [n](std::int64_t count) { return count == n ? std::string() : "chain reached " + std::to_string(count); }, "hop");
}

void raw_fibers(benchmark::State& state) {
  const std::int64_t n = hops();
  std::atomic<std::int64_t> reached{0};
  baseline(
      state, "fibers", static_cast<double>(n),
      [&] {
        reached = 0;
        fibers_on_threads(1, n, [&reached](std::int64_t i) {
          raw_noop();
          reached.store(i + 1, std::memory_order_relaxed);
        });
        return reached.load();
      },
      [n](std::int64_t count) { return count == n ? std::string() : "chain reached " + std::to_string(count); }, "hop");
}

std::string all_terminal(const host::RunScope& scope) {
  for (const host::RunRef& run : scope.runs()) {
    if (!run->done()) return "run " + std::to_string(run->id()) + " is not terminal after run_flow";
  }
  return {};
}

void engine(benchmark::State& state, const std::string& runner, bool future_param) {
  const std::int64_t n = hops();
  auto h = make_session(runner);
  h->library().task("hop", [] {});
  h->library().task("inc", [](const json& p) { return p.at("x").get<std::int64_t>() + 1; });
  h->library().flow("wait_for_chain", [n](rh::FlowContext& flow) -> json {
    rh::Future prev = flow.submit("hop");
    for (std::int64_t i = 1; i < n; ++i) prev = flow.submit("hop", json(), rh::wait_for({prev}));
    prev.wait();
    return prev.state().name;
  });
  h->library().flow("param_chain", [n](rh::FlowContext& flow) -> json {
    rh::Future prev = flow.submit("inc", {{"x", 0}});
    for (std::int64_t i = 1; i < n; ++i) prev = flow.submit("inc", {{"x", prev}});
    return prev.result();
  });
  const std::string flow = future_param ? "param_chain" : "wait_for_chain";
  const std::string expected = future_param ? std::to_string(n) : "\"Completed\"";
  const double ns = timed(
      state, static_cast<double>(n), [&] { return h->run(flow); },
      [&](const std::unique_ptr<host::RunScope>& scope) {
        std::string error = expect_result(*scope, expected);
        return error.empty() ? all_terminal(*scope) : error;
      },
      "hop");
  compare(state, ns, "call");
  compare(state, ns, "task_group");
  compare(state, ns, "fibers");
}

void register_all() {
  for (auto [name, fn] : {std::pair{"chain/raw:call", raw_call}, std::pair{"chain/raw:task_group", raw_task_group},
                          std::pair{"chain/raw:fibers", raw_fibers}}) {
    timed_in_ms(benchmark::RegisterBenchmark(name, fn));
  }
  for (const std::string& runner : runners()) {
    timed_in_ms(benchmark::RegisterBenchmark(("chain/engine:" + runner).c_str(), engine, runner, false));
  }
  for (const std::string& runner : runners()) {
    timed_in_ms(benchmark::RegisterBenchmark(("chain_param/engine:" + runner).c_str(), engine, runner, true));
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
