// Workload 9: the store's cost to the engine.
//
// store_runs: a flow submits 1,000,000 no-op runs (RH_BENCH_STORE_RUNS) that each return a
// small result, with the store off and then on (a fresh file in the temporary directory),
// same binary, same run. With the store every task run is written by its writer thread
// (one row each, in batches), and the flow's end waits until all of it is committed, so
// the time includes making every record durable. Counters: runs_per_s, ratio (time with
// the store / time without), the write queue's high-water mark (bounded by max_queued), and
// runs_listing_ms: opening that store read-only and listing its latest flow runs, as
// `runner-host runs` does, on a million task runs. Goal (docs/PERFORMANCE.md): at least 500k runs/s on
// 2 workers with the store on; the writer's queue is bounded, so memory does not grow.
#include "bench_support.hpp"

#include "store/store.hpp"

#include <unistd.h>

#include <filesystem>

namespace rh::bench {
namespace {

std::int64_t runs() { return size("RH_BENCH_STORE_RUNS", 1000000, 20000); }

std::filesystem::path fresh_store() {
  const auto dir = std::filesystem::temp_directory_path() / ("rh-bench-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "store.db";
}

void noop_flow(rh::Library& lib) {
  lib.task("noop", [](const json&) { return 1; });
  lib.flow("many", [](rh::FlowContext& flow, const json& p) -> json {
    const std::int64_t count = p.at("n").get<std::int64_t>();
    for (std::int64_t i = 0; i < count; ++i) flow.submit("noop");
    return count;
  });
}

void store_runs(benchmark::State& state, const std::string& runner, bool with_store) {
  const std::int64_t n = runs();
  const std::filesystem::path path = fresh_store();
  host::SessionOptions options;
  options.runner_dir = RH_RUNNER_DIR;
  if (with_store) options.store = host::StoreOptions{path};
  BenchSession h(runner, runner_options(runner), options);
  noop_flow(h.library());
  h.run("many", {{"n", 10000}}).reset();  // warm-up
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto scope = h.run("many", {{"n", n}});
    const double seconds = seconds_since(start);
    state.SetIterationTime(seconds);
    if (std::string error = expect_result(*scope, std::to_string(n)); !error.empty()) return fail(state, error);
    if (with_store && h.session().store()->write_failures().records != 0) return fail(state, "records were lost");
    state.counters["runs_per_s"] = static_cast<double>(n) / seconds;
    state.counters["items"] = static_cast<double>(n);
    state.counters["ns_per_run"] = seconds * 1e9 / static_cast<double>(n);
    if (with_store) {
      compare(state, seconds * 1e9 / static_cast<double>(n), "store_off/" + runner);
      state.counters["queue_high_water"] = static_cast<double>(h.session().store()->queued_high_water());
      // What `runner-host runs` does on a store of a million task runs: open it read-only
      // and list the latest flow runs.
      const auto listing = std::chrono::steady_clock::now();
      host::StoreOptions reading{path};
      reading.read_only = true;
      const std::size_t listed = host::Store(reading).list_flow_runs({}).size();
      state.counters["runs_listing_ms"] = seconds_since(listing) * 1e3;
      if (listed == 0) return fail(state, "runs listed nothing");
    } else {
      baselines()["store_off/" + runner] = seconds * 1e9 / static_cast<double>(n);
    }
    scope.reset();
  }
  std::filesystem::remove_all(path.parent_path());
}

void register_all() {
  for (const std::string& runner : runners()) {
    timed_once_in_ms(benchmark::RegisterBenchmark(("store_runs/off:" + runner).c_str(), store_runs, runner, false));
    timed_once_in_ms(benchmark::RegisterBenchmark(("store_runs/on:" + runner).c_str(), store_runs, runner, true));
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
