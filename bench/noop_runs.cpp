// Workload 1: independent no-op task runs (1,000,000; RH_BENCH_NOOP_RUNS overrides). A flow
// submits them all and returns; run_flow returns once every run is terminal. Compared with
// the same count of plain calls, raw tbb::task_group tasks and raw fiber create + join.
#include "bench_support.hpp"
#include "raw_primitives.hpp"

#include <atomic>

namespace rh::bench {
namespace {

std::int64_t runs() { return size("RH_BENCH_NOOP_RUNS", 1000000, 10000); }

void raw_call(benchmark::State& state) {
  const std::int64_t n = runs();
  baseline(
      state, "call", static_cast<double>(n),
      [n] {
        for (std::int64_t i = 0; i < n; ++i) raw_noop();
        return 0;
      },
      no_check);
}

void raw_task_group(benchmark::State& state) {
  const std::int64_t n = runs();
  RawArena arena(workers());
  std::atomic<std::int64_t> done{0};
  baseline(
      state, "task_group", static_cast<double>(n),
      [&] {
        done = 0;
        arena.execute([&] {
          tbb::task_group group;
          for (std::int64_t i = 0; i < n; ++i) {
            group.run([&done] {
              raw_noop();
              done.fetch_add(1, std::memory_order_relaxed);
            });
          }
          group.wait();
        });
        return done.load();
      },
      [n](std::int64_t count) { return count == n ? std::string() : "task_group ran " + std::to_string(count); });
}

void raw_fibers(benchmark::State& state) {
  const std::int64_t n = runs();
  std::atomic<std::int64_t> done{0};
  baseline(
      state, "fibers", static_cast<double>(n),
      [&] {
        done = 0;
        fibers_on_threads(workers(), n, [&done](std::int64_t) {
          raw_noop();
          done.fetch_add(1, std::memory_order_relaxed);
        });
        return done.load();
      },
      [n](std::int64_t count) { return count == n ? std::string() : "fibers ran " + std::to_string(count); });
}

void engine(benchmark::State& state, const std::string& runner) {
  const std::int64_t n = runs();
  auto h = make_session(runner);
  h->library().task("noop", [] {});
  h->library().flow("many", [n](rh::FlowContext& flow) -> json {
    for (std::int64_t i = 0; i < n; ++i) flow.submit("noop");
    return n;
  });
  const double ns = timed(
      state, static_cast<double>(n), [&] { return h->run("many"); },
      [n](const std::unique_ptr<host::RunScope>& scope) {
        if (std::string error = expect_result(*scope, std::to_string(n)); !error.empty()) return error;
        if (runs_seen(*scope) != static_cast<std::size_t>(n)) return "scope saw " + std::to_string(runs_seen(*scope));
        return all_completed(*scope);
      });
  compare(state, ns, "call");
  compare(state, ns, "task_group");
  compare(state, ns, "fibers");
}

void register_all() {
  timed_in_ms(benchmark::RegisterBenchmark("noop/raw:call", raw_call));
  timed_in_ms(benchmark::RegisterBenchmark("noop/raw:task_group", raw_task_group));
  timed_in_ms(benchmark::RegisterBenchmark("noop/raw:fibers", raw_fibers));
  for (const std::string& runner : runners()) {
    timed_in_ms(benchmark::RegisterBenchmark(("noop/engine:" + runner).c_str(), engine, runner));
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
