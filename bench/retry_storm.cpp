// Workload 6: retry storm. 2,000 runs (RH_BENCH_STORM_RUNS) fail once and retry after
// 1 s (RH_BENCH_STORM_DELAY_MS), on tbb with max_workers 2 (the setup) and, for
// comparison, on fiber with 2 workers and on sequential. A waiting retry holds no worker,
// so the wall time should be about one delay, not runs x delay / workers. The raw
// "primitive" is the delay itself: the ratio is wall time / delay.
#include "bench_support.hpp"

namespace rh::bench {
namespace {

std::int64_t storm_runs() { return size("RH_BENCH_STORM_RUNS", 2000, 200); }
double delay_s() { return static_cast<double>(size("RH_BENCH_STORM_DELAY_MS", 1000, 100)) / 1000.0; }

void engine(benchmark::State& state, const std::string& runner) {
  const std::int64_t n = storm_runs();
  auto h = make_session(runner, /*worker_count=*/2);
  h->library()
      .task("flaky",
            [](rh::TaskContext& ctx) {
              if (ctx.run_count() == 1) throw std::runtime_error("first attempt fails");
            })
      .retries(1)
      .retry_delay(delay_s());
  h->library().flow("storm", [n](rh::FlowContext& flow) -> json {
    for (std::int64_t i = 0; i < n; ++i) flow.submit("flaky");
    return n;
  });
  const double delay = delay_s();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto scope = h->run("storm");
    const double wall = seconds_since(start);
    state.SetIterationTime(wall);
    state.counters["wall_s"] = wall;
    state.counters["x_delay"] = wall / delay;
    if (std::string error = expect_result(*scope, std::to_string(n)); !error.empty()) return fail(state, error);
    for (const host::RunRef& run : scope->runs()) {
      if (run->state() != host::StateId::Completed || run->run_count() != 2) {
        return fail(state, "run " + std::to_string(run->id()) + " ended " +
                               std::string(host::state_name(run->state())) + " after " +
                               std::to_string(run->run_count()) + " attempts");
      }
    }
  }
  state.counters["runs"] = static_cast<double>(n);
  state.counters["delay_s"] = delay;
}

void register_all() {
  for (const char* runner : {"tbb", "fiber", "sequential"}) {
    timed_once_in_ms(benchmark::RegisterBenchmark((std::string("retry_storm/engine:") + runner).c_str(), engine,
                                                  std::string(runner)));
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
