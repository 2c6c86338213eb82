// prune: old flow runs go with their task runs and result files, except task runs an
// unexpired cache entry uses; expired entries go; orphan files go once old. info counts.
#include "store_support.hpp"

#include <sys/stat.h>
#include <utime.h>

#include <filesystem>

namespace rh::testing {
namespace {

const std::string kOld = "0190a1b2-c3d4-7e5f-8a6b-000000000001";
const std::string kNew = "0190a1b2-c3d4-7e5f-8a6b-000000000002";
const std::string kKilled = "0190a1b2-c3d4-7e5f-8a6b-000000000003";  // started long ago, never ended
constexpr std::int64_t kDay = 86400LL * 1000000;

// Sets a file's modification time to `us` (Unix µs).
void set_mtime(const std::string& file, std::int64_t us) {
  struct utimbuf times {};
  times.actime = static_cast<time_t>(us / 1000000);
  times.modtime = static_cast<time_t>(us / 1000000);
  ASSERT_EQ(::utime(file.c_str(), &times), 0);
}

class StorePrune : public ::testing::Test {
 protected:
  StorePrune() {
    StoreOptions options = options_for(dir_.file("store.db"));
    options.inline_result_bytes = 16;
    store_ = std::make_unique<Store>(options);
    // Old flow run: 4 task runs, two with result files, run 2 cached (unexpired), run 3
    // cached (expired).
    store_->flow_run_started(flow_start(kOld, "etl", kT0));
    for (std::uint64_t i = 1; i <= 4; ++i) {
      TaskRunRecord run = task_run(kOld, i);
      if (i % 2 == 0) run.result = "\"" + std::string(40, 'a') + "\"";
      if (i == 2 || i == 3) {
        run.cache_key = "key-" + std::to_string(i);
        run.cache_expires_us = i == 2 ? 0 : kT0 + 1;
      }
      store_->task_run_ended(run);
    }
    FlowRunEnd old_end = flow_end(kOld, StateId::Completed, kT0 + 10);
    old_end.result = std::string(100, '1');  // a file too
    store_->flow_run_ended(old_end);
    // New flow run: kept whole.
    store_->flow_run_started(flow_start(kNew, "etl", kT0 + 30 * kDay));
    TaskRunRecord fresh = task_run(kNew, 1);
    fresh.result = "\"" + std::string(40, 'b') + "\"";
    store_->task_run_ended(fresh);
    store_->flow_run_ended(flow_end(kNew, StateId::Completed, kT0 + 30 * kDay + 10));
    // Killed long ago: it never ended, so its start counts.
    store_->flow_run_started(flow_start(kKilled, "etl", kT0 + 5));
    store_->task_run_ended(task_run(kKilled, 1));
    store_->flush();
  }
  Store& store() { return *store_; }

  ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StorePrune, InfoCountsEverything) {
  const auto info = store().info();
  EXPECT_EQ(info.path, dir_.file("store.db"));
  EXPECT_EQ(info.schema_version, host::Store::kSchemaVersion);
  EXPECT_EQ(info.flow_runs, 3u);
  EXPECT_EQ(info.task_runs, 6u);
  EXPECT_EQ(info.persisted_results, 6u);
  EXPECT_EQ(info.cache_entries, 2u);
  EXPECT_EQ(info.result_files, 4u);  // old runs 2 and 4, the old flow run, the new run 1
  EXPECT_EQ(info.result_file_bytes, 42u + 42u + 100u + 42u);
  EXPECT_GT(info.file_bytes, info.result_file_bytes);
}

TEST_F(StorePrune, RemovesOldRunsKeepsWhatTheCacheUsesAndExpiredEntriesGo) {
  const PruneResult pruned = store().prune(kT0 + kDay);
  EXPECT_EQ(pruned.flow_runs, 1u);       // kKilled; kOld stays for its cached run 2
  EXPECT_EQ(pruned.task_runs, 4u);       // old 1, 3, 4 and killed 1
  EXPECT_EQ(pruned.cache_entries, 1u);   // key-3 had expired
  EXPECT_EQ(pruned.kept_for_cache, 1u);  // old run 2
  EXPECT_EQ(pruned.result_files, 1u);    // old run 4's file (run 2's is kept)

  EXPECT_EQ(store_error_of([&] { store().find_flow_run(kKilled); }),
            "no flow run in store " + store().path().string() + " matches '" + kKilled + "'");
  const auto kept = store().task_runs_of(kOld);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].run_no, 2u);
  EXPECT_EQ(kept[0].result, "\"" + std::string(40, 'a') + "\"");
  EXPECT_EQ(store().find_flow_run(kOld).task_runs, 1u);  // its tallies are those of what is left
  EXPECT_EQ(store().lookup_cache("key-2", kT0 + 2 * kDay).outcome, CacheLookup::Outcome::Hit);
  EXPECT_EQ(store().lookup_cache("key-3", kT0).outcome, CacheLookup::Outcome::NoRecord);
  EXPECT_EQ(store().task_runs_of(kNew).size(), 1u);

  const auto info = store().info();
  EXPECT_EQ(info.flow_runs, 2u);
  EXPECT_EQ(info.task_runs, 2u);
  EXPECT_EQ(info.cache_entries, 1u);
  EXPECT_EQ(info.result_files, 3u);
}

TEST_F(StorePrune, OnceTheCacheEntryIsGoneTheOldFlowRunGoesWithItsFile) {
  RawDb(store().path().string()).exec("UPDATE cache_entries SET expires_us = 1");
  const PruneResult pruned = store().prune(kT0 + kDay);
  EXPECT_EQ(pruned.flow_runs, 2u);
  EXPECT_EQ(pruned.task_runs, 5u);
  EXPECT_EQ(pruned.cache_entries, 2u);
  EXPECT_EQ(pruned.kept_for_cache, 0u);
  EXPECT_EQ(pruned.result_files, 3u);  // old runs 2 and 4, the old flow run's result
  EXPECT_EQ(store().info().result_files, 1u);
  EXPECT_EQ(store().list_flow_runs({}).size(), 1u);
}

TEST_F(StorePrune, NothingOldNothingGone) {
  const PruneResult pruned = store().prune(kT0 - 1);
  EXPECT_EQ(pruned.flow_runs, 0u);
  EXPECT_EQ(pruned.task_runs, 0u);
  EXPECT_EQ(pruned.cache_entries, 1u);  // expiry is judged by the clock, not by before_us
  EXPECT_EQ(pruned.result_files, 0u);
  EXPECT_EQ(store().info().task_runs, 6u);
}

TEST_F(StorePrune, OrphanFilesGoOnceOlderThanTheCutOff) {
  const std::string folder = dir_.file("store.db.results");
  const std::string orphan = dir_.write("store.db.results/0190a1b2-dead-8000-8000-000000000000.json", "\"lost\"");
  const std::string young = dir_.write("store.db.results/0190a1b2-beef-8000-8000-000000000000.json", "\"new\"");
  const std::string temporary = dir_.write("store.db.results/.0190a1b2-cafe-8000-8000-000000000000.json.tmp", "\"");
  set_mtime(orphan, kT0);
  set_mtime(temporary, kT0);
  EXPECT_EQ(store().info().result_files, 6u);  // orphans count as files (not the temporary)
  const PruneResult pruned = store().prune(kT0 + kDay);
  EXPECT_EQ(pruned.result_files, 3u);  // old run 4's, the orphan, the temporary
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_TRUE(std::filesystem::exists(young));  // may belong to a batch under way elsewhere
}

}  // namespace
}  // namespace rh::testing
