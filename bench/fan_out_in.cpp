// Workload 3: fan-out / fan-in. One flow submits 100,000 runs (RH_BENCH_FAN_RUNS), each
// with a parameter {"i": i} and returning it, then rh::gather()s the results in order and
// sums them. Raw: the same items through a plain loop, a tbb::task_group and fibers, each
// writing its result into a slot that is summed at the end.
#include "bench_support.hpp"
#include "raw_primitives.hpp"

#include <numeric>

namespace rh::bench {
namespace {

std::int64_t items() { return size("RH_BENCH_FAN_RUNS", 100000, 2000); }
std::int64_t expected_sum(std::int64_t n) { return n * (n - 1) / 2; }

[[gnu::noinline]] std::int64_t item(std::int64_t i) {
  benchmark::ClobberMemory();
  return i;
}

std::string check_sum(std::int64_t n, std::int64_t sum) {
  return sum == expected_sum(n) ? std::string() : "sum " + std::to_string(sum);
}

void raw_call(benchmark::State& state) {
  const std::int64_t n = items();
  std::vector<std::int64_t> slots(static_cast<std::size_t>(n));
  baseline(
      state, "call", static_cast<double>(n),
      [&] {
        for (std::int64_t i = 0; i < n; ++i) slots[static_cast<std::size_t>(i)] = item(i);
        return std::accumulate(slots.begin(), slots.end(), std::int64_t{0});
      },
      [n](std::int64_t sum) { return check_sum(n, sum); });
}

void raw_task_group(benchmark::State& state) {
  const std::int64_t n = items();
  std::vector<std::int64_t> slots(static_cast<std::size_t>(n));
  RawArena arena(workers());
  baseline(
      state, "task_group", static_cast<double>(n),
      [&] {
        arena.execute([&] {
          tbb::task_group group;
          for (std::int64_t i = 0; i < n; ++i) {
            group.run([&slots, i] { slots[static_cast<std::size_t>(i)] = item(i); });
          }
          group.wait();
        });
        return std::accumulate(slots.begin(), slots.end(), std::int64_t{0});
      },
      [n](std::int64_t sum) { return check_sum(n, sum); });
}

void raw_fibers(benchmark::State& state) {
  const std::int64_t n = items();
  std::vector<std::int64_t> slots(static_cast<std::size_t>(n));
  baseline(
      state, "fibers", static_cast<double>(n),
      [&] {
        fibers_on_threads(workers(), n, [&slots](std::int64_t i) { slots[static_cast<std::size_t>(i)] = item(i); });
        return std::accumulate(slots.begin(), slots.end(), std::int64_t{0});
      },
      [n](std::int64_t sum) { return check_sum(n, sum); });
}

void engine(benchmark::State& state, const std::string& runner) {
  const std::int64_t n = items();
  auto h = make_session(runner);
  h->library().task("item", [](const json& p) { return p.at("i").get<std::int64_t>(); });
  h->library().flow("fan", [n](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    futures.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) futures.push_back(flow.submit("item", {{"i", i}}));
    std::int64_t sum = 0;
    for (const json& result : rh::gather(futures)) sum += result.get<std::int64_t>();
    return sum;
  });
  const double ns = timed(
      state, static_cast<double>(n), [&] { return h->run("fan"); },
      [n](const std::unique_ptr<host::RunScope>& scope) {
        return expect_result(*scope, std::to_string(expected_sum(n)));
      });
  compare(state, ns, "call");
  compare(state, ns, "task_group");
  compare(state, ns, "fibers");
}

void register_all() {
  for (auto [name, fn] : {std::pair{"fan/raw:call", raw_call}, std::pair{"fan/raw:task_group", raw_task_group},
                          std::pair{"fan/raw:fibers", raw_fibers}}) {
    timed_in_ms(benchmark::RegisterBenchmark(name, fn));
  }
  for (const std::string& runner : runners()) {
    timed_in_ms(benchmark::RegisterBenchmark(("fan/engine:" + runner).c_str(), engine, runner));
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
