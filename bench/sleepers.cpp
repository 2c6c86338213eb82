// Workload 5: 100,000 concurrently sleeping runs (RH_BENCH_SLEEPERS), 200 ms each
// (RH_BENCH_SLEEP_MS), on the fiber runner: wall time and peak RSS. Raw: the same number
// of Boost.Fiber fibers sleeping on the same worker count and stack size. Peak RSS is
// VmHWM, reset before each benchmark through /proc/self/clear_refs; scripts/bench still
// runs each benchmark of this file in its own process, so freed but retained heap of one
// cannot hide in the figure of the next.
#include "bench_support.hpp"
#include "raw_primitives.hpp"

#include <atomic>

namespace rh::bench {
namespace {

std::int64_t sleepers() { return size("RH_BENCH_SLEEPERS", 100000, 1000); }
std::chrono::milliseconds nap() { return std::chrono::milliseconds(size("RH_BENCH_SLEEP_MS", 200, 200)); }

// How many sleepers were inside their sleep at once, at most.
struct Concurrency {
  std::atomic<std::int64_t> inside{0};
  std::atomic<std::int64_t> most{0};
  void enter() {
    const std::int64_t now = inside.fetch_add(1, std::memory_order_relaxed) + 1;
    std::int64_t seen = most.load(std::memory_order_relaxed);
    while (now > seen && !most.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }
  void leave() { inside.fetch_sub(1, std::memory_order_relaxed); }
};

// Wall time per iteration, and the memory counters of the whole benchmark.
template <class Body, class Check>
void measure(benchmark::State& state, Body&& body, Check&& check) {
  const long rss_before = proc_status_kib("VmRSS");
  const bool reset = reset_peak_rss();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto keep = body();
    const double wall = seconds_since(start);
    state.SetIterationTime(wall);
    state.counters["wall_s"] = wall;
    if (const std::string error = check(keep); !error.empty()) return fail(state, error);
  }
  const long peak = proc_status_kib("VmHWM");
  state.counters["peak_rss_mib"] = static_cast<double>(peak) / 1024.0;
  state.counters["rss_before_mib"] = static_cast<double>(rss_before) / 1024.0;
  if (reset) {
    state.counters["peak_rss_growth_mib"] = static_cast<double>(peak - rss_before) / 1024.0;
    state.counters["kib_per_sleeper"] = static_cast<double>(peak - rss_before) / static_cast<double>(sleepers());
  }
  state.counters["sleepers"] = static_cast<double>(sleepers());
  state.counters["sleep_s"] = std::chrono::duration<double>(nap()).count();
}

void raw_fibers(benchmark::State& state) {
  const std::int64_t n = sleepers();
  const int threads = workers();
  std::atomic<std::int64_t> woke{0};
  Concurrency concurrency;
  measure(
      state,
      [&] {
        woke = 0;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
          pool.emplace_back([&, t] {
            boost::fibers::pooled_fixedsize_stack stacks(kFiberStackBytes);
            const std::int64_t mine = n * (t + 1) / threads - n * t / threads;
            std::vector<boost::fibers::fiber> fibers;
            fibers.reserve(static_cast<std::size_t>(mine));
            for (std::int64_t i = 0; i < mine; ++i) {
              fibers.emplace_back(boost::fibers::launch::dispatch, std::allocator_arg, stacks, [&] {
                concurrency.enter();
                boost::this_fiber::sleep_for(nap());
                concurrency.leave();
                woke.fetch_add(1, std::memory_order_relaxed);
              });
            }
            for (auto& f : fibers) f.join();
          });
        }
        for (std::thread& t : pool) t.join();
        return woke.load();
      },
      [n](std::int64_t count) { return count == n ? std::string() : "woke " + std::to_string(count); });
  state.counters["max_concurrent"] = static_cast<double>(concurrency.most.load());
}

void engine(benchmark::State& state, const std::string& runner) {
  const std::int64_t n = sleepers();
  auto h = make_session(runner);
  Concurrency concurrency;
  h->library().task("nap", [&concurrency](rh::TaskContext& ctx) {
    concurrency.enter();
    ctx.sleep(nap());
    concurrency.leave();
  });
  h->library().flow("sleepers", [n](rh::FlowContext& flow) -> json {
    for (std::int64_t i = 0; i < n; ++i) flow.submit("nap");
    return n;
  });
  h->start();  // load and start the runner before the baseline RSS is taken
  measure(
      state, [&] { return h->run("sleepers"); },
      [n](const std::unique_ptr<host::RunScope>& scope) {
        if (std::string error = expect_result(*scope, std::to_string(n)); !error.empty()) return error;
        return all_completed(*scope);
      });
  state.counters["max_concurrent"] = static_cast<double>(concurrency.most.load());
}

void register_all() {
  timed_once_in_ms(benchmark::RegisterBenchmark("sleepers/raw:fibers", raw_fibers));
  timed_once_in_ms(benchmark::RegisterBenchmark("sleepers/engine:fiber", engine, "fiber"));
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
