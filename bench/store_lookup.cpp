// Workload 10: a cache hit across processes.
//
// One Store writes 100,000 completed task runs with a cache entry each (RH_BENCH_LOOKUPS) and
// closes. Then a second Store object opens the file, as a second runner-host process would
// (its own connections and page cache, nothing shared but the file), and looks up 100,000
// random keys that all hit, timing each lookup on its own: the counters are the median and
// the 99th percentile in µs. Raw: the same query (store/store_queries.hpp) prepared once on a
// bare sqlite3 connection, stepped and read, the same keys. Goal (docs/PERFORMANCE.md): a
// hit's lookup at most 50 µs median.
#include "bench_support.hpp"

#include "store/store.hpp"
#include "store/store_queries.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <system_error>
#include <vector>

namespace rh::bench {
namespace {

std::int64_t entries() { return size("RH_BENCH_LOOKUPS", 100000, 2000); }

// The filled store's folder, made once and removed when the benchmark process exits.
struct FilledStore {
  std::filesystem::path dir;
  std::filesystem::path file;
  ~FilledStore() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

std::filesystem::path store_file() {
  static const FilledStore filled = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("rh-bench-lookup-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::filesystem::path file = dir / "store.db";
    host::Store store(host::StoreOptions{file});
    host::FlowRunStart flow;
    flow.id = host::new_flow_run_uuid();
    flow.name = "fill";
    flow.flow = "fill";
    flow.start_us = 1;
    store.flow_run_started(flow);
    for (std::int64_t i = 1; i <= entries(); ++i) {
      host::TaskRunRecord run;
      run.flow_run_id = flow.id;
      run.run_no = static_cast<std::uint64_t>(i);
      run.task = "square";
      run.name = "square-" + std::to_string(i);
      run.params = "{\"x\":" + std::to_string(i) + "}";
      run.state = host::StateId::Completed;
      run.history = {
          {1, host::StateId::Pending, {}}, {2, host::StateId::Running, {}}, {3, host::StateId::Completed, {}}};
      run.run_count = 1;
      run.result = std::to_string(i * i);
      run.result_persisted = true;
      run.start_us = 2;
      run.end_us = 3;
      run.cache_key = "square-key-" + std::to_string(i);
      store.task_run_ended(std::move(run));
    }
    return FilledStore{dir, file};  // the store closes here: everything is committed
  }();
  return filled.file;
}

// The keys to look up, in a random order that is the same for both sides.
std::vector<std::int64_t> lookup_order() {
  std::vector<std::int64_t> order(static_cast<std::size_t>(entries()));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i) + 1;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  return order;
}

// Times lookup(i) for every key; reports the median and p99 in µs.
template <class Lookup>
void time_each(benchmark::State& state, const std::string& baseline_name, Lookup&& lookup) {
  const std::vector<std::int64_t> order = lookup_order();
  std::vector<double> micros(order.size());
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < order.size(); ++i) {
      const auto before = std::chrono::steady_clock::now();
      if (!lookup(order[i])) return fail(state, "key " + std::to_string(order[i]) + " was not a hit");
      micros[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - before).count();
    }
    state.SetIterationTime(seconds_since(start));
  }
  std::sort(micros.begin(), micros.end());
  const double median = micros[micros.size() / 2];
  state.counters["median_us"] = median;
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
  state.counters["lookups"] = static_cast<double>(micros.size());
  if (baseline_name.empty()) {
    compare(state, median * 1000, "raw:sqlite3");
  } else {
    baselines()[baseline_name] = median * 1000;
  }
}

void raw_sqlite(benchmark::State& state) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(store_file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return fail(state, "cannot open the store");
  }
  sqlite3_stmt* query = nullptr;
  sqlite3_prepare_v3(db, host::detail::kLookupCache, -1, SQLITE_PREPARE_PERSISTENT, &query, nullptr);
  std::string key;
  time_each(state, "raw:sqlite3", [&](std::int64_t i) {
    key = "square-key-" + std::to_string(i);
    sqlite3_bind_text(query, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    const bool hit = sqlite3_step(query) == SQLITE_ROW && sqlite3_column_int64(query, 4) == i * i;
    sqlite3_reset(query);
    return hit;
  });
  sqlite3_finalize(query);
  sqlite3_close(db);
}

void store_lookup(benchmark::State& state) {
  host::Store other_process(host::StoreOptions{store_file()});
  time_each(state, "", [&](std::int64_t i) {
    const host::CacheLookup found = other_process.lookup_cache("square-key-" + std::to_string(i), 4);
    return found.outcome == host::CacheLookup::Outcome::Hit && found.result == std::to_string(i * i);
  });
}

void register_all() {
  timed_once_in_ms(benchmark::RegisterBenchmark("store_lookup/raw:sqlite3", raw_sqlite));
  timed_once_in_ms(benchmark::RegisterBenchmark("store_lookup/store", store_lookup));
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
