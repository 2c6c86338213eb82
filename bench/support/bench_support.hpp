// Shared pieces of the benchmark executables: workload sizes (full, or small for the smoke
// run under ctest), the runners and their worker count, an in-process session on a real
// runner plugin (bench_session.hpp), manually timed iterations that report ns per
// item and the ratio to a raw baseline measured earlier in the same process, and a main()
// that exits non-zero when a benchmark saw a wrong result.
#pragma once

#include "bench_session.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rh::bench {

using json = nlohmann::json;

// RH_BENCH_SCALE=small: the smoke sizes (ctest); anything else: the sizes of issue 6.
inline bool small_scale() {
  const char* scale = std::getenv("RH_BENCH_SCALE");
  return scale != nullptr && std::string(scale) == "small";
}

// A workload size: the environment variable `env` wins, then the scale.
inline std::int64_t size(const char* env, std::int64_t full, std::int64_t small) {
  if (const char* text = std::getenv(env); text != nullptr && *text != '\0') return std::atoll(text);
  return small_scale() ? small : full;
}

// Worker threads of the parallel runners and of the raw baselines (RH_BENCH_WORKERS, default nproc).
inline int workers() {
  static const int count = [] {
    if (const char* text = std::getenv("RH_BENCH_WORKERS"); text != nullptr && std::atoi(text) > 0) {
      return std::atoi(text);
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
  }();
  return count;
}

inline const std::vector<std::string>& runners() {
  static const std::vector<std::string> names = {"sequential", "fiber", "tbb"};
  return names;
}

inline json runner_options(const std::string& runner, int worker_count = workers()) {
  return runner == "sequential" ? json::object() : json{{"max_workers", worker_count}};
}

inline std::unique_ptr<BenchSession> make_session(const std::string& runner, int worker_count = workers()) {
  return std::make_unique<BenchSession>(runner, runner_options(runner, worker_count));
}

// --- failures: a wrong result skips the benchmark and makes the process exit non-zero ---

inline bool& failed() {
  static bool flag = false;
  return flag;
}

inline void fail(benchmark::State& state, const std::string& why) {
  failed() = true;
  state.SkipWithError(why.c_str());
}

// --- raw baselines measured earlier in this process: name -> ns per item ---

inline std::map<std::string, double>& baselines() {
  static std::map<std::string, double> values;
  return values;
}

// Adds counter "x_<baseline>" = ns_per_item / baseline, when the baseline ran before.
inline void compare(benchmark::State& state, double ns_per_item, const std::string& baseline) {
  auto it = baselines().find(baseline);
  if (it != baselines().end() && it->second > 0) state.counters["x_" + baseline] = ns_per_item / it->second;
}

// CPU time of the whole process (every thread), in seconds: less sensitive than wall time
// to other processes competing for the cores.
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Times body() per iteration, after one untimed warm-up call (register with UseManualTime()). body returns whatever
// must outlive the timed part (e.g. a RunScope): it is handed to check() and destroyed after the clock stopped. check
// returns an error message, or "" when the result is right. Reports items/s and ns_per_<unit>; returns ns per item (0
// on failure).
template <class Body, class Check>
double timed(benchmark::State& state, double items, Body&& body, Check&& check, const char* unit = "run") {
  {
    // One untimed warm-up: first-touch page faults and pool growth (fiber stacks, TBB
    // task memory, the engine's allocations) would otherwise dominate short runs.
    auto keep = body();
    if (const std::string error = check(keep); !error.empty()) {
      fail(state, error);
      return 0;
    }
  }
  double total = 0;
  double cpu = 0;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto keep = body();
    const double elapsed = seconds_since(start);
    cpu += process_cpu_seconds() - cpu_start;
    state.SetIterationTime(elapsed);
    total += elapsed;
    if (const std::string error = check(keep); !error.empty()) {
      fail(state, error);
      return 0;
    }
  }
  const double count = static_cast<double>(state.iterations()) * items;
  state.SetItemsProcessed(static_cast<std::int64_t>(count));
  const double ns = count > 0 ? total * 1e9 / count : 0;
  state.counters[std::string("ns_per_") + unit] = ns;
  state.counters["items"] = items;
  if (count > 0) state.counters[std::string("cpu_ns_per_") + unit] = cpu * 1e9 / count;
  return ns;
}

// A raw baseline: timed() and remember its ns per item under `name`.
template <class Body, class Check>
void baseline(benchmark::State& state, const std::string& name, double items, Body&& body, Check&& check,
              const char* unit = "run") {
  const double ns = timed(state, items, std::forward<Body>(body), std::forward<Check>(check), unit);
  if (ns > 0) baselines()[name] = ns;
}

// For bodies whose result needs no check.
inline constexpr auto no_check = [](const auto&) { return std::string(); };

// Checks a flow's (or root task's) outcome: completed, with the expected result text.
inline std::string expect_result(const host::RunScope& scope, const std::string& expected) {
  if (!scope.flow_run() && scope.size() == 0) return "the scope has no run";
  const host::RunRef root = scope.flow_run() ? scope.flow_run() : scope.runs().front();  // a copy: runs() is one
  if (root->state() != host::StateId::Completed) {
    return "root run ended " + std::string(host::state_name(root->state()));
  }
  if (root->result() != expected) return "root run returned " + root->result() + ", expected " + expected;
  return {};
}

// Task runs the scope saw: those it holds and those it retired (past RunScope::kRetainedRuns
// it retires finished runs, so a big flow's scope no longer holds them all).
inline std::size_t runs_seen(const host::RunScope& scope) {
  const auto hold = scope.hold_retirement();
  return scope.size() + static_cast<std::size_t>(scope.retired_tally().runs);
}

// "" when every task run of the scope ended Completed, else which state one ended in.
inline std::string all_completed(const host::RunScope& scope) {
  for (const host::RunRef& run : scope.runs()) {
    if (run->state() != host::StateId::Completed) {
      return "run " + std::to_string(run->id()) + " ended " + std::string(host::state_name(run->state()));
    }
  }
  return {};
}

// /proc/self/status field in KiB (VmRSS, VmHWM), or -1.
inline long proc_status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so a peak belongs to what follows.
inline bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// Registration: every workload times itself (timed()) and reports milliseconds.
inline benchmark::internal::Benchmark* timed_in_ms(benchmark::internal::Benchmark* bench) {
  return bench->UseManualTime()->Unit(benchmark::kMillisecond);
}
// The same for a workload run exactly once per process (its peak RSS or wall time is the figure).
inline benchmark::internal::Benchmark* timed_once_in_ms(benchmark::internal::Benchmark* bench) {
  return timed_in_ms(bench)->Iterations(1);
}

// The main() of every benchmark executable: registration, flags, run, exit status.
inline int run_main(int argc, char** argv, void (*register_all)()) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::AddCustomContext("workers", std::to_string(workers()));
  benchmark::AddCustomContext("scale", small_scale() ? "small" : "full");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return failed() ? 1 : 0;
}

}  // namespace rh::bench

#define RH_BENCH_MAIN(register_fn) \
  int main(int argc, char** argv) { return ::rh::bench::run_main(argc, argv, &(register_fn)); }
