// Workload of the process runner (100,000 no-op runs on 2 worker processes;
// RH_BENCH_PROCESS_RUNS overrides): a flow in the host submits the runs of a task library
// file, every attempt crosses to a worker and back. Compared in the same run with a raw
// round trip through a pipe to a child process (the floor of one message each way), and with
// Python's ProcessPoolExecutor on the same no-op work (bench/peers/process_pool.py, the pool
// under Prefect's ProcessPoolTaskRunner). Also: starting the pool, a run whose worker
// segfaults (its replacement included), and 1,000 runs of which every tenth segfaults.
#include "bench_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace rh::bench {
namespace {

constexpr int kWorkers = 2;

std::int64_t runs() { return size("RH_BENCH_PROCESS_RUNS", 100000, 2000); }
std::int64_t crash_mix_runs() { return size("RH_BENCH_PROCESS_CRASH_MIX", 1000, 100); }

std::unique_ptr<BenchSession> process_session(int worker_count = kWorkers) {
  auto h = std::make_unique<BenchSession>("process", json{{"max_workers", worker_count}});
  h->session().load_library(RH_PROCESS_BENCH_PLUGIN);
  return h;
}

// A child process that echoes: /bin/cat on two pipes.
struct Echo {
  int to = -1, from = -1;
  pid_t pid = -1;
  Echo() {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (pipe2(from_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    char cat[] = "/bin/cat";
    char* argv[] = {cat, nullptr};
    const int spawned = posix_spawn(&pid, cat, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    to = to_child[1];
    from = from_child[0];
    if (spawned != 0) throw std::runtime_error("could not start /bin/cat");
  }
  ~Echo() {
    close(to);
    close(from);
    waitpid(pid, nullptr, 0);
  }
  // n one-byte round trips; how many completed.
  std::int64_t round_trips(std::int64_t n) const {
    char byte = 'x';
    for (std::int64_t i = 0; i < n; ++i) {
      if (write(to, &byte, 1) != 1 || read(from, &byte, 1) != 1) return i;
    }
    return n;
  }
};

// The same number of round trips, split over kWorkers threads each with its own echoing
// child: one message each way per run, as an attempt takes, and nothing else.
void raw_pipe_round_trip(benchmark::State& state) {
  const std::int64_t n = runs();
  std::vector<std::unique_ptr<Echo>> echoes;
  for (int i = 0; i < kWorkers; ++i) echoes.push_back(std::make_unique<Echo>());
  baseline(
      state, "pipe_round_trip", static_cast<double>(n),
      [&] {
        std::vector<std::int64_t> done(kWorkers, 0);
        std::vector<std::thread> threads;
        for (int i = 0; i < kWorkers; ++i) {
          threads.emplace_back([&, i] { done[i] = echoes[i]->round_trips(n / kWorkers); });
        }
        for (std::thread& t : threads) t.join();
        std::int64_t total = 0;
        for (std::int64_t d : done) total += d;
        return total;
      },
      [n](std::int64_t done) {
        return done == n / kWorkers * kWorkers ? std::string() : "round trips: " + std::to_string(done);
      });
}

// Python's pool, timed by the script itself (its interpreter start and pool warm-up are not
// the runs' time). Skipped, saying so, where /usr/bin/python3 is missing.
void python_process_pool(benchmark::State& state) {
  const std::int64_t n = runs();
  const std::string command =
      "/usr/bin/python3 " RH_BENCH_PEERS_DIR "/process_pool.py " + std::to_string(n) + " " + std::to_string(kWorkers);
  double total = 0;
  for (auto _ : state) {
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return fail(state, "could not run " + command);
    double seconds = -1;
    const int read = std::fscanf(pipe, "%lf", &seconds);
    const int status = pclose(pipe);
    if (read != 1 || status != 0 || seconds <= 0) return state.SkipWithError(("no result from " + command).c_str());
    state.SetIterationTime(seconds);
    total += seconds;
  }
  const double count = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(count));
  const double ns = total * 1e9 / count;
  state.counters["ns_per_run"] = ns;
  state.counters["items"] = static_cast<double>(n);
  baselines()["python_process_pool"] = ns;
}

void engine_noop(benchmark::State& state) {
  const std::int64_t n = runs();
  auto h = process_session();
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
  compare(state, ns, "pipe_round_trip");
  compare(state, ns, "python_process_pool");
}

// From no runner to 2 workers that loaded the library and said they are ready.
void pool_start(benchmark::State& state) {
  for (auto _ : state) {
    auto h = process_session();
    h->session().add_library(h->library());
    const auto start = std::chrono::steady_clock::now();
    h->session().start_runner(std::string(RH_RUNNER_DIR) + "/librh_runner_process.so", json{{"max_workers", kWorkers}});
    state.SetIterationTime(seconds_since(start));
  }
  state.counters["workers"] = kWorkers;
}

// One run at a time on one worker: a no-op, then one whose worker segfaults, which includes
// noticing the death and starting and loading the replacement before the run ends.
void single_run(benchmark::State& state, const std::string& task) {
  auto h = process_session(1);
  const std::string expected = task == "noop" ? "Completed" : "Crashed";
  const double ns = timed(
      state, 1, [&] { return h->run(task); },
      [&](const std::unique_ptr<host::RunScope>& scope) {
        const std::string got(host::state_name(scope->runs().at(0)->state()));
        return got == expected ? std::string() : task + " ended " + got;
      });
  if (task == "noop" && ns > 0) baselines()["single_noop_run"] = ns;
  if (task != "noop") compare(state, ns, "single_noop_run");
}

void every_tenth_segfaults(benchmark::State& state) {
  const std::int64_t n = crash_mix_runs();
  auto h = process_session();
  h->library().flow("mix", [n](rh::FlowContext& flow) -> json {
    for (std::int64_t i = 0; i < n; ++i) flow.submit((i + 1) % 10 == 0 ? "segfault" : "noop");
    return n;
  });
  timed(
      state, static_cast<double>(n), [&] { return h->run("mix"); },
      [n](const std::unique_ptr<host::RunScope>& scope) {
        std::int64_t completed = 0, crashed = 0;
        for (const host::RunRef& run : scope->runs()) {
          completed += run->state() == host::StateId::Completed ? 1 : 0;
          crashed += run->state() == host::StateId::Crashed ? 1 : 0;
        }
        if (completed != n - n / 10 || crashed != n / 10) {
          return std::to_string(completed) + " completed and " + std::to_string(crashed) + " crashed";
        }
        return std::string();
      });
}

void register_all() {
  timed_in_ms(benchmark::RegisterBenchmark("process/raw:pipe_round_trip", raw_pipe_round_trip));
  timed_in_ms(benchmark::RegisterBenchmark("process/peer:python_process_pool", python_process_pool))->Iterations(1);
  timed_in_ms(benchmark::RegisterBenchmark("process/engine:noop", engine_noop));
  timed_in_ms(benchmark::RegisterBenchmark("process/pool_start", pool_start))->Iterations(20);
  timed_in_ms(benchmark::RegisterBenchmark("process/single_run:noop", single_run, std::string("noop")))
      ->Iterations(200);
  timed_in_ms(benchmark::RegisterBenchmark("process/single_run:segfault", single_run, std::string("segfault")))
      ->Iterations(50);
  timed_in_ms(benchmark::RegisterBenchmark("process/every_tenth_segfaults", every_tenth_segfaults));
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
