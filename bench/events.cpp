// Workload 9: events. (a) host::EventBus::publish with no subscriber and with one counting
// subscriber; (b) no-op runs through the engine with no subscriber, a counting subscriber,
// and a TaskRunWaiter listening (the extra cost per event); (c) TaskRunWaiter wake-up
// latency: a thread blocks in wait_for_task_run, the main thread publishes the run's
// terminal event, and the time from just before publish() to the waiting thread running
// again is measured, next to a raw std::condition_variable notify -> wake measured the same
// way in the same run (with no engine: plain thread events; with an engine: the runner's).
#include "bench_support.hpp"

#include "engine/execution_context.hpp"
#include "events/task_run_waiter.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace rh::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t engine_runs() { return size("RH_BENCH_EVENT_RUNS", 100000, 2000); }
std::int64_t wake_iterations() { return size("RH_BENCH_WAKE_ITERS", 2000, 50); }

host::TaskRunEvent sample_event(std::uint64_t run_id, host::StateId state) {
  host::TaskRunEvent event;
  event.id = run_id;
  event.time_us = 1700000000000000;
  event.run_id = run_id;
  event.run_name = "noop-1a2";
  event.task_name = "noop";
  event.run_count = 1;
  event.flow_run_id = 1;
  event.state = state;
  event.previous = host::StateId::Running;
  return event;
}

// --- (a) the bus alone ---

void bus_publish(benchmark::State& state, bool with_subscriber) {
  host::EventBus bus;
  std::atomic<std::int64_t> seen{0};
  if (with_subscriber)
    bus.subscribe([&seen](const host::TaskRunEvent&) { seen.fetch_add(1, std::memory_order_relaxed); });
  const host::TaskRunEvent event = sample_event(7, host::StateId::Running);
  const auto start = Clock::now();
  for (auto _ : state) {
    bus.publish(event);
    benchmark::ClobberMemory();
  }
  const double ns = seconds_since(start) * 1e9 / static_cast<double>(state.iterations());
  state.counters["ns_per_publish"] = ns;
  baselines()[with_subscriber ? "publish_one" : "publish_none"] = ns;
  if (with_subscriber) {
    compare(state, ns, "publish_none");
    if (seen.load() != static_cast<std::int64_t>(state.iterations())) fail(state, "subscriber missed events");
  }
}

// --- (b) through the engine ---

enum class Listener { None, Counter, Waiter };

void engine_events(benchmark::State& state, const std::string& runner, Listener listener) {
  const std::int64_t n = engine_runs();
  auto h = make_session(runner);
  h->library().task("noop", [] {});
  h->library().flow("many", [n](rh::FlowContext& flow) -> json {
    for (std::int64_t i = 0; i < n; ++i) flow.submit("noop");
    return n;
  });
  std::atomic<std::int64_t> events{0};
  std::uint64_t subscription = 0;
  std::unique_ptr<host::TaskRunWaiter> waiter;
  if (listener == Listener::Counter) {
    subscription = h->session().events().subscribe(
        [&events](const host::TaskRunEvent&) { events.fetch_add(1, std::memory_order_relaxed); });
  } else if (listener == Listener::Waiter) {
    waiter = std::make_unique<host::TaskRunWaiter>(h->session().events(), host::WaiterOptions{});
  }
  const double ns = timed(
      state, static_cast<double>(n), [&] { return h->run("many"); },
      [n](const std::unique_ptr<host::RunScope>& scope) { return expect_result(*scope, std::to_string(n)); });
  const std::string quiet = "engine_quiet_" + runner;
  if (listener == Listener::None) {
    if (ns > 0) baselines()[quiet] = ns;
    return;
  }
  compare(state, ns, quiet);
  if (listener == Listener::Counter) {
    h->session().events().unsubscribe(subscription);
    // Events per task run (the flow run's own few are spread over all of them).
    const double per_run = static_cast<double>(events.load()) / static_cast<double>(state.iterations() * n);
    state.counters["events_per_run"] = per_run;
    if (auto it = baselines().find(quiet); it != baselines().end() && per_run > 0) {
      state.counters["ns_per_event_extra"] = (ns - it->second) / per_run;
    }
  }
  waiter.reset();
}

// --- (c) wake-up latency ---

// The waiting side runs `wait(i)` for i = 1, 2, ...; the timing side, once the waiter said
// it is about to wait and had time to block, stamps t0 and calls `wake(i)`.
struct PingPong {
  std::atomic<std::int64_t> go{0};
  std::atomic<std::int64_t> ready{0};
  std::atomic<std::int64_t> done{0};
  std::atomic<std::int64_t> woke_ns{0};
  std::atomic<bool> stop{false};
};

void spin_until(const std::atomic<std::int64_t>& value, std::int64_t target) {
  while (value.load(std::memory_order_acquire) < target) std::this_thread::yield();
}

template <class Wait, class Wake>
void wake_latency(benchmark::State& state, const std::string& key, Wait wait, Wake wake) {
  PingPong p;
  std::thread waiter_thread([&] {
    for (std::int64_t i = 1;; ++i) {
      spin_until(p.go, i);
      if (p.stop.load()) return;
      p.ready.store(i, std::memory_order_release);
      wait(i);
      p.woke_ns.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
      p.done.store(i, std::memory_order_release);
    }
  });
  std::vector<double> latencies;
  std::int64_t i = 0;
  for (auto _ : state) {
    ++i;
    p.go.store(i, std::memory_order_release);
    spin_until(p.ready, i);
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // let it block for real
    const std::int64_t t0 = Clock::now().time_since_epoch().count();
    wake(i);
    spin_until(p.done, i);
    const double latency = static_cast<double>(p.woke_ns.load() - t0) * 1e-9;
    state.SetIterationTime(latency);
    latencies.push_back(latency);
  }
  p.stop.store(true);
  p.go.store(i + 1, std::memory_order_release);
  waiter_thread.join();
  if (latencies.empty()) return;
  std::sort(latencies.begin(), latencies.end());
  double sum = 0;
  for (double l : latencies) sum += l;
  const double mean_us = sum / static_cast<double>(latencies.size()) * 1e6;
  state.counters["mean_us"] = mean_us;
  state.counters["median_us"] = latencies[latencies.size() / 2] * 1e6;
  state.counters["p99_us"] = latencies[latencies.size() * 99 / 100] * 1e6;
  baselines()[key] = latencies[latencies.size() / 2] * 1e6;  // the median: a loaded machine makes the mean jumpy
}

// notify after unlocking (the baseline), or while still holding the mutex, as the runners'
// and the thread scheduler's events do: the woken thread then blocks once more on the mutex.
void raw_cv_wake(benchmark::State& state, bool notify_under_lock) {
  std::mutex mutex;
  std::condition_variable cv;
  std::int64_t signalled = 0;
  wake_latency(
      state, notify_under_lock ? "cv_under_lock" : "cv",
      [&](std::int64_t i) {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return signalled >= i; });
      },
      [&](std::int64_t i) {
        std::unique_lock<std::mutex> lock(mutex);
        signalled = i;
        if (notify_under_lock) cv.notify_one();
        lock.unlock();
        if (!notify_under_lock) cv.notify_one();
      });
  if (notify_under_lock) compare(state, baselines()["cv_under_lock"], "cv");
}

// With runner "" no session exists and the waiter blocks on plain thread events. With a
// runner, the waiting thread is one of the session's host threads (as the thread that runs
// a flow is): the waiter blocks on the runner's events.
void waiter_wake(benchmark::State& state, const std::string& runner) {
  std::unique_ptr<BenchSession> h;
  host::EventBus own_bus;
  host::EventBus* bus = &own_bus;
  host::Engine* engine = nullptr;
  std::shared_ptr<host::TaskRunWaiter> waiter;
  if (!runner.empty()) {
    h = make_session(runner);
    h->start();
    engine = &h->session().engine();
    bus = &h->session().events();
    waiter = h->session().waiters().create(host::WaiterOptions{});
  } else {
    waiter = std::make_shared<host::TaskRunWaiter>(own_bus, host::WaiterOptions{});
  }
  constexpr std::uint64_t kBase = 1u << 30;  // ids no engine run has
  bool wrong = false;
  wake_latency(
      state, "waiter_" + (runner.empty() ? std::string("threads") : runner),
      [&](std::int64_t i) {
        std::optional<host::ContextScope> session_thread;
        if (engine != nullptr) session_thread.emplace(*engine);
        host::FinalState out;
        const std::int32_t status = waiter->wait_for_task_run(kBase + i, RH_DEADLINE_NONE, &out);
        if (status != RH_OK || out.state != host::StateId::Completed) wrong = true;
      },
      [&](std::int64_t i) { bus->publish(sample_event(kBase + i, host::StateId::Completed)); });
  if (wrong) return fail(state, "wait_for_task_run did not return the Completed state");
  if (auto it = baselines().find("waiter_" + (runner.empty() ? std::string("threads") : runner));
      it != baselines().end()) {
    compare(state, it->second, "cv");  // median over median
  }
}

void register_all() {
  benchmark::RegisterBenchmark("events/bus:publish_no_subscriber", bus_publish, false);
  benchmark::RegisterBenchmark("events/bus:publish_one_subscriber", bus_publish, true);
  for (const std::string runner : {"sequential", "tbb"}) {
    for (auto [label, listener] : {std::pair{"quiet", Listener::None}, std::pair{"counter", Listener::Counter},
                                   std::pair{"waiter", Listener::Waiter}}) {
      timed_in_ms(benchmark::RegisterBenchmark(("events_engine/" + std::string(label) + ":" + runner).c_str(),
                                               engine_events, runner, listener));
    }
  }
  const auto iterations = static_cast<benchmark::IterationCount>(wake_iterations());
  benchmark::RegisterBenchmark("wake/raw:condition_variable", raw_cv_wake, false)
      ->UseManualTime()
      ->Iterations(iterations)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("wake/raw:cv_notify_under_lock", raw_cv_wake, true)
      ->UseManualTime()
      ->Iterations(iterations)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("wake/waiter:threads", waiter_wake, "")
      ->UseManualTime()
      ->Iterations(iterations)
      ->Unit(benchmark::kMicrosecond);
  for (const std::string& runner : runners()) {
    benchmark::RegisterBenchmark(("wake/waiter:" + runner).c_str(), waiter_wake, runner)
        ->UseManualTime()
        ->Iterations(iterations)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
