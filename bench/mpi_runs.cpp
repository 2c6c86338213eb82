// Workloads of the MPI runner, each a whole `mpirun -np 4` job (1 host rank, 3 worker ranks of
// 1 slot): 400 tasks of 10 ms, and no-op tasks. In the same benchmark, rounds alternate
// (ABC ABC ...) between the runner (`runner-host --runner mpi`, the flow timing its own runs),
// a raw dispatch loop written straight on MPI with as many tasks in flight per rank
// (bench/mpi/raw_dispatch.c), and mpi4py's MPIPoolExecutor (bench/peers/mpi_pool.py, run by
// /usr/bin/python3). Each job times its tasks only, not its start. Reported: the median
// seconds of each, the ideal (tasks x ms / 3 slots), and the median and spread of the ratios
// of every round.
#include "bench_support.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace rh::bench {
namespace {

constexpr int kRanks = 4;
constexpr int kWorkerSlots = kRanks - 1;
constexpr int kInFlight = 2;  // the runner's default prefetch, and the raw loop's

const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe -np " + std::to_string(kRanks) + " ";

// The seconds a job printed: the number after the last ": " of its line starting with
// `prefix` (or of its first line when prefix is empty). Negative when there is none.
double job_seconds(const std::string& command, const std::string& prefix) {
  std::FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return -1;
  double seconds = -1;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    const std::string text(line);
    if (!prefix.empty() && text.rfind(prefix, 0) != 0) continue;
    const std::size_t at = prefix.empty() ? std::string::npos : text.rfind(": ");
    seconds = std::strtod(text.c_str() + (at == std::string::npos ? 0 : at + 2), nullptr);
    if (prefix.empty()) break;
  }
  const int status = pclose(pipe);
  return status == 0 ? seconds : -1;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n == 0 ? 0 : (n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

double spread(const std::vector<double>& values) {
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return values.empty() ? 0 : *high - *low;
}

void tasks_of(benchmark::State& state, int tasks, int ms, int peer_tasks) {
  const int rounds = static_cast<int>(size("RH_BENCH_MPI_ROUNDS", 5, 1));
  const std::string n = std::to_string(tasks), m = std::to_string(ms);
  const std::string engine = kMpirun +
                             RH_HOST_BINARY " --runner mpi --plugin " RH_MPI_BENCH_PLUGIN
                                            " --flow timed --no-store --no-progress --log-level error --params "
                                            "'{\"n\": " +
                             n + ", \"ms\": " + m + "}' --config " RH_MPI_BENCH_CONFIG;
  const std::string raw = kMpirun + RH_MPI_RAW_DISPATCH " " + n + " " + m + " " + std::to_string(kInFlight);
  const std::string peer = kMpirun + "/usr/bin/python3 -m mpi4py.futures " RH_BENCH_PEERS_DIR "/mpi_pool.py " +
                           std::to_string(peer_tasks) + " " + m;
  std::vector<double> engine_s, raw_s, peer_s, x_raw, x_peer, x_ideal;
  const double ideal = static_cast<double>(tasks) * ms / 1000.0 / kWorkerSlots;
  for (auto _ : state) {
    for (int round = 0; round < rounds; ++round) {
      const double r = job_seconds(raw, "");
      const double p = job_seconds(peer, "");
      const double e = job_seconds(engine, "flow timed");
      if (r <= 0) return fail(state, "no result from " + raw);
      if (e <= 0) return fail(state, "no result from " + engine);
      raw_s.push_back(r);
      engine_s.push_back(e);
      x_raw.push_back(e / r);
      if (p > 0) {  // mpi4py may be missing: the runner's figures stand without it
        peer_s.push_back(p);
        // Per task: the peer may run fewer tasks than the runner (it is slower).
        x_peer.push_back((e / tasks) / (p / peer_tasks));
      }
      if (ideal > 0) x_ideal.push_back(e / ideal);
    }
    state.SetIterationTime(median(engine_s));
  }
  state.counters["tasks"] = tasks;
  state.counters["engine_s"] = median(engine_s);
  state.counters["raw_s"] = median(raw_s);
  state.counters["engine_runs_per_s"] = tasks / median(engine_s);
  state.counters["raw_runs_per_s"] = tasks / median(raw_s);
  state.counters["x_raw"] = median(x_raw);
  state.counters["x_raw_spread"] = spread(x_raw);
  state.counters["engine_us_per_task_over_raw"] = (median(engine_s) - median(raw_s)) * 1e6 / tasks;
  if (!peer_s.empty()) {
    state.counters["peer_tasks"] = peer_tasks;
    state.counters["peer_runs_per_s"] = peer_tasks / median(peer_s);
    state.counters["x_peer_per_task"] = median(x_peer);
    state.counters["x_peer_spread"] = spread(x_peer);
  }
  if (ideal > 0) {
    state.counters["ideal_s"] = ideal;
    state.counters["x_ideal"] = median(x_ideal);
    state.counters["x_ideal_spread"] = spread(x_ideal);
  }
  state.counters["rounds"] = rounds;
}

void register_all() {
  const int sleepers = static_cast<int>(size("RH_BENCH_MPI_SLEEPERS", 400, 30));
  const int noops = static_cast<int>(size("RH_BENCH_MPI_NOOPS", 20000, 300));
  timed_once_in_ms(benchmark::RegisterBenchmark("mpi/sleep_10ms_tasks", tasks_of, sleepers, 10, sleepers));
  timed_once_in_ms(benchmark::RegisterBenchmark("mpi/noop_tasks", tasks_of, noops, 0, noops / 4));
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
