// Workload 4: nested fork-join. fib(n), each call a task run that submits its two children
// and waits on them (fib(25): 242,785 runs; fib(20): 21,891), per runner. Raw: a serial
// recursion, tbb::task_group recursion (each call runs both children as tasks and waits) in
// an arena of the same worker count, and fibers on one thread (each call starts two fibers
// and joins them).
#include "bench_support.hpp"
#include "raw_primitives.hpp"

namespace rh::bench {
namespace {

// fib(25) and fib(20) at full size; RH_BENCH_FIB_N / RH_BENCH_FIB_SMALL_N override.
int big_n() { return static_cast<int>(size("RH_BENCH_FIB_N", 25, 15)); }
int small_n() { return static_cast<int>(size("RH_BENCH_FIB_SMALL_N", 20, 12)); }

std::int64_t fib_value(int n) { return n < 2 ? n : fib_value(n - 1) + fib_value(n - 2); }
// Calls of the recursion, i.e. task runs of the engine version.
std::int64_t fib_calls(int n) { return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2); }

[[gnu::noinline]] std::int64_t serial_fib(int n) {
  if (n < 2) return n;
  return serial_fib(n - 1) + serial_fib(n - 2);
}

std::int64_t tbb_fib(int n) {
  if (n < 2) return n;
  std::int64_t a = 0;
  std::int64_t b = 0;
  tbb::task_group group;
  group.run([&a, n] { a = tbb_fib(n - 1); });
  group.run([&b, n] { b = tbb_fib(n - 2); });
  group.wait();
  return a + b;
}

std::int64_t fiber_fib(int n, boost::fibers::pooled_fixedsize_stack& stacks) {
  if (n < 2) return n;
  std::int64_t a = 0;
  std::int64_t b = 0;
  boost::fibers::fiber fa(std::allocator_arg, stacks, [&] { a = fiber_fib(n - 1, stacks); });
  boost::fibers::fiber fb(std::allocator_arg, stacks, [&] { b = fiber_fib(n - 2, stacks); });
  fa.join();
  fb.join();
  return a + b;
}

auto check_value(int n) {
  return [n, expected = fib_value(n)](std::int64_t value) {
    return value == expected ? std::string() : "fib(" + std::to_string(n) + ") = " + std::to_string(value);
  };
}

std::string key(int n, const char* what) { return "fib" + std::to_string(n) + "_" + what; }

void raw_serial(benchmark::State& state, int n) {
  baseline(
      state, key(n, "serial"), static_cast<double>(fib_calls(n)),
      [n] {
        int opaque = n;
        benchmark::DoNotOptimize(opaque);  // serial_fib is pure: keep it from being hoisted out of the loop
        return serial_fib(opaque);
      },
      check_value(n), "call");
}

void raw_task_group(benchmark::State& state, int n) {
  RawArena arena(workers());
  baseline(
      state, key(n, "task_group"), static_cast<double>(fib_calls(n)),
      [&] {
        std::int64_t value = 0;
        arena.execute([&] { value = tbb_fib(n); });
        return value;
      },
      check_value(n), "call");
}

void raw_fibers(benchmark::State& state, int n) {
  boost::fibers::pooled_fixedsize_stack stacks(kFiberStackBytes);
  baseline(
      state, key(n, "fibers"), static_cast<double>(fib_calls(n)), [&] { return fiber_fib(n, stacks); }, check_value(n),
      "call");
}

void engine(benchmark::State& state, const std::string& runner, int n) {
  auto h = make_session(runner);
  h->library().task("fib", [](rh::TaskContext& ctx, const json& p) -> json {
    const int k = p.at("n").get<int>();
    if (k < 2) return k;
    rh::Future a = ctx.submit("fib", {{"n", k - 1}});
    rh::Future b = ctx.submit("fib", {{"n", k - 2}});
    return a.result().get<std::int64_t>() + b.result().get<std::int64_t>();
  });
  const std::int64_t calls = fib_calls(n);
  const std::int64_t expected = fib_value(n);
  const double ns = timed(
      state, static_cast<double>(calls),
      [&] {
        return h->run("fib", {{"n", n}});
      },
      [&](const std::unique_ptr<host::RunScope>& scope) {
        if (std::string error = expect_result(*scope, std::to_string(expected)); !error.empty()) return error;
        if (runs_seen(*scope) != static_cast<std::size_t>(calls)) return "runs: " + std::to_string(runs_seen(*scope));
        return std::string();
      },
      "call");
  compare(state, ns, key(n, "serial"));
  compare(state, ns, key(n, "task_group"));
  compare(state, ns, key(n, "fibers"));
}

void register_all() {
  for (int n : {big_n(), small_n()}) {
    const std::string prefix = "fib" + std::to_string(n);
    timed_in_ms(benchmark::RegisterBenchmark((prefix + "/raw:serial").c_str(), raw_serial, n));
    timed_in_ms(benchmark::RegisterBenchmark((prefix + "/raw:task_group").c_str(), raw_task_group, n));
    timed_in_ms(benchmark::RegisterBenchmark((prefix + "/raw:fibers").c_str(), raw_fibers, n));
    for (const std::string& runner : runners()) {
      timed_in_ms(benchmark::RegisterBenchmark((prefix + "/engine:" + runner).c_str(), engine, runner, n));
    }
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
