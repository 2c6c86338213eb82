// Workload 8: memory per run.
//
// run_memory: per retained run record. A flow submits 1,000,000 no-op runs
// (RH_BENCH_MEMORY_RUNS) that return nothing (so no result is stored), in a scope told to
// keep every run (set_retained_runs(0)), so after run_flow it still holds each completed
// one. Heap in use (mallinfo2: arena bytes in use + mmapped blocks) and RSS are read before
// and after and divided by the run count. A warm-up flow first fills the runner's pools.
//
// run_memory_bounded: what the host really holds. The same flow of 1,000,000 and then
// 10,000,000 runs (RH_BENCH_BOUNDED_RUNS, the larger count) with the scope's defaults:
// finished runs are retired past 65,536 and submissions wait for room past 65,536
// unfinished ones. Peak RSS (VmHWM, reset first) minus RSS before, in MiB: it must not grow
// with the run count.
#include "bench_support.hpp"

#include <malloc.h>

namespace rh::bench {
namespace {

std::int64_t runs() { return size("RH_BENCH_MEMORY_RUNS", 1000000, 10000); }

double heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

void engine(benchmark::State& state, const std::string& runner) {
  const std::int64_t n = runs();
  auto h = make_session(runner);
  h->library().task("noop", [] {});
  h->library().flow("many", [](rh::FlowContext& flow, const json& p) -> json {
    const std::int64_t count = p.at("n").get<std::int64_t>();
    for (std::int64_t i = 0; i < count; ++i) flow.submit("noop");
    return count;
  });
  h->run("many", {{"n", std::min<std::int64_t>(n, 10000)}}).reset();  // warm-up
  for (auto _ : state) {
    malloc_trim(0);
    const double heap_before = heap_in_use();
    const long rss_before = proc_status_kib("VmRSS");
    const auto start = std::chrono::steady_clock::now();
    auto scope = h->run_with("many", {{"n", n}}, [](host::RunScope& s) { s.set_retained_runs(0); });
    state.SetIterationTime(seconds_since(start));
    const double heap_after = heap_in_use();
    const long rss_after = proc_status_kib("VmRSS");
    if (std::string error = expect_result(*scope, std::to_string(n)); !error.empty()) return fail(state, error);
    if (scope->size() != static_cast<std::size_t>(n))
      return fail(state, "scope holds " + std::to_string(scope->size()));
    state.counters["heap_bytes_per_run"] = (heap_after - heap_before) / static_cast<double>(n);
    state.counters["rss_bytes_per_run"] = static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(n);
    state.counters["runs"] = static_cast<double>(n);
    scope.reset();
  }
}

void bounded(benchmark::State& state, const std::string& runner, std::int64_t n) {
  auto h = make_session(runner);
  h->library().task("noop", [] {});
  h->library().flow("many", [](rh::FlowContext& flow, const json& p) -> json {
    const std::int64_t count = p.at("n").get<std::int64_t>();
    for (std::int64_t i = 0; i < count; ++i) flow.submit("noop");
    return count;
  });
  h->run("many", {{"n", 10000}}).reset();  // warm-up
  for (auto _ : state) {
    malloc_trim(0);
    const long rss_before = proc_status_kib("VmRSS");
    if (!reset_peak_rss()) return fail(state, "cannot reset the peak RSS (/proc/self/clear_refs)");
    const auto start = std::chrono::steady_clock::now();
    auto scope = h->run("many", {{"n", n}});
    state.SetIterationTime(seconds_since(start));
    const long peak = proc_status_kib("VmHWM");
    if (std::string error = expect_result(*scope, std::to_string(n)); !error.empty()) return fail(state, error);
    state.counters["peak_growth_mib"] = static_cast<double>(peak - rss_before) / 1024.0;
    state.counters["held_runs"] = static_cast<double>(scope->size());
    state.counters["runs"] = static_cast<double>(n);
    state.counters["ns_per_run"] = seconds_since(start) * 1e9 / static_cast<double>(n);
    scope.reset();
  }
}

void register_all() {
  for (const std::string& runner : runners()) {
    timed_once_in_ms(benchmark::RegisterBenchmark(("run_memory/engine:" + runner).c_str(), engine, runner));
  }
  const std::int64_t large = size("RH_BENCH_BOUNDED_RUNS", 10000000, 100000);
  for (const std::int64_t n : {std::min<std::int64_t>(large, 1000000), large}) {
    for (const std::string& runner : runners()) {
      const std::string name = "run_memory_bounded_" + std::to_string(n) + "/engine:" + runner;
      timed_once_in_ms(benchmark::RegisterBenchmark(name.c_str(), bounded, runner, n));
    }
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
