// Cache entries: written only for completed runs with a persisted result, replaced by newer
// ones, expired at their time, results from rows or files.
#include "store_support.hpp"

#include <filesystem>

namespace rh::testing {
namespace {

const std::string kKey = "square\x1f{\"x\":7}";

TaskRunRecord cached_run(std::uint64_t run_no, const std::string& result, std::int64_t expires_us = 0,
                         StateId state = StateId::Completed) {
  TaskRunRecord run = task_run(kFlow, run_no, state);
  run.result = result;
  run.result_persisted = state == StateId::Completed || state == StateId::Cached;
  run.cache_key = kKey;
  run.cache_expires_us = expires_us;
  return run;
}

class StoreCache : public ::testing::Test {
 protected:
  StoreCache() {
    StoreOptions options = options_for(dir_.file("store.db"));
    options.inline_result_bytes = 64;
    store_ = std::make_unique<Store>(options);
    store_->flow_run_started(flow_start(kFlow));
  }
  Store& store() { return *store_; }
  CacheLookup lookup(std::int64_t now_us = kT0) {
    store_->flush();
    return store_->lookup_cache(kKey, now_us);
  }

  ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreCache, AMissSaysNoRecord) {
  const CacheLookup miss = lookup();
  EXPECT_EQ(miss.outcome, CacheLookup::Outcome::NoRecord);
  EXPECT_EQ(miss.result, "");
}

TEST_F(StoreCache, AHitReturnsTheResultAndTheRunThatComputedIt) {
  store().task_run_ended(cached_run(3, "49"));
  const CacheLookup hit = lookup();
  ASSERT_EQ(hit.outcome, CacheLookup::Outcome::Hit);
  EXPECT_EQ(hit.result, "49");
  EXPECT_EQ(hit.source_flow_run, kFlow);
  EXPECT_EQ(hit.source_run_no, 3u);
}

TEST_F(StoreCache, ANewerEntryReplacesTheOlder) {
  store().task_run_ended(cached_run(3, "\"old\""));
  store().task_run_ended(cached_run(4, "\"new\""));
  const CacheLookup hit = lookup();
  ASSERT_EQ(hit.outcome, CacheLookup::Outcome::Hit);
  EXPECT_EQ(hit.result, "\"new\"");
  EXPECT_EQ(hit.source_run_no, 4u);
  EXPECT_EQ(store().info().cache_entries, 1u);
}

TEST_F(StoreCache, AnEntryExpiresAtItsTime) {
  store().task_run_ended(cached_run(3, "49", kT0 + 1000));
  EXPECT_EQ(lookup(kT0 + 999).outcome, CacheLookup::Outcome::Hit);
  const CacheLookup expired = lookup(kT0 + 1000);
  EXPECT_EQ(expired.outcome, CacheLookup::Outcome::Expired);
  EXPECT_EQ(expired.expired_at_us, kT0 + 1000);
  EXPECT_EQ(expired.result, "");
}

TEST_F(StoreCache, NeverForARunThatDidNotCompleteOrDidNotPersistOrCameFromTheCache) {
  store().task_run_ended(cached_run(1, "", 0, StateId::Failed));
  store().task_run_ended(cached_run(2, "", 0, StateId::Crashed));
  store().task_run_ended(cached_run(3, "9", 0, StateId::Cached));
  TaskRunRecord not_persisted = cached_run(4, "16");
  not_persisted.result_persisted = false;
  store().task_run_ended(not_persisted);
  EXPECT_EQ(lookup().outcome, CacheLookup::Outcome::NoRecord);
  EXPECT_EQ(store().info().cache_entries, 0u);
  // The runs themselves are stored, with the key they asked for.
  const auto runs = store().task_runs_of(kFlow);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].cache_key, kKey);
}

TEST_F(StoreCache, AFailedRunDoesNotReplaceAGoodEntry) {
  store().task_run_ended(cached_run(1, "1"));
  store().task_run_ended(cached_run(2, "", 0, StateId::Failed));
  const CacheLookup hit = lookup();
  ASSERT_EQ(hit.outcome, CacheLookup::Outcome::Hit);
  EXPECT_EQ(hit.source_run_no, 1u);
}

TEST_F(StoreCache, AHitOnALargeResultReadsItsFile) {
  const std::string big = "\"" + std::string(1000, 'z') + "\"";
  store().task_run_ended(cached_run(5, big));
  const CacheLookup hit = lookup();
  ASSERT_EQ(hit.outcome, CacheLookup::Outcome::Hit);
  EXPECT_EQ(hit.result, big);
  // The file gone (removed by hand): nothing to reuse, as on a miss.
  std::filesystem::remove(dir_.file("store.db.results/" + host::task_run_uuid(kFlow, 5) + ".json"));
  EXPECT_EQ(lookup().outcome, CacheLookup::Outcome::NoRecord);
}

TEST_F(StoreCache, AnEntryWhoseTaskRunIsGoneIsAMiss) {
  store().task_run_ended(cached_run(5, "25"));
  store().flush();
  RawDb(store().path().string()).exec("DELETE FROM task_runs");
  EXPECT_EQ(lookup().outcome, CacheLookup::Outcome::NoRecord);
}

}  // namespace
}  // namespace rh::testing
