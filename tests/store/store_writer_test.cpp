// The writer: batches, flush, failures (a full disk, the lock held elsewhere, records that
// cannot be written) counted and named, readers that never block it, two stores on one
// file, and backpressure.
#include "store_support.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

TEST(StoreWriter, FlushCommitsEverythingQueuedBeforeIt) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.flush_interval = std::chrono::hours(1);  // only flush() commits in this test
  options.max_batch = 100;
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  for (std::uint64_t i = 1; i <= 1050; ++i) store.task_run_ended(task_run(kFlow, i));
  store.flush();
  RawDb db(options.path.string());
  EXPECT_EQ(db.integer("SELECT count(*) FROM task_runs"), 1050);
  EXPECT_EQ(db.integer("SELECT task_runs FROM flow_runs"), 1050);
  EXPECT_EQ(db.text("SELECT counts FROM flow_runs"), R"({"Completed":1050})");
}

// The writer does not checkpoint: its Checkpointer thread copies the WAL into the database
// while the store stays open, so the database file grows without the writer stopping.
TEST(StoreWriter, TheWalIsCheckpointedIntoTheDatabaseWhileTheStoreIsOpen) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.checkpoint_pages = 8;
  options.max_batch = 50;
  Store store(options);
  const auto db_bytes = [&] { return std::filesystem::file_size(options.path); };
  store.flow_run_started(flow_start(kFlow));
  store.flush();
  const auto before = db_bytes();
  for (std::uint64_t i = 1; i <= 3000; ++i) store.task_run_ended(task_run(kFlow, i));
  store.flush();
  for (int i = 0; i < 1000 && db_bytes() <= before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(db_bytes(), before) << "nothing was checkpointed while the store was open";
  RawDb db(options.path.string());
  EXPECT_EQ(db.integer("SELECT count(*) FROM task_runs"), 3000);
}

TEST(StoreWriter, RecordsAreCommittedWithinTheFlushIntervalWithoutFlush) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.flush_interval = std::chrono::milliseconds(20);
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  store.task_run_ended(task_run(kFlow, 1));
  // No timing threshold: wait (up to a minute) for the writer to commit on its own.
  RawDb db(options.path.string());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (db.integer("SELECT count(*) FROM task_runs") != 1 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(db.integer("SELECT count(*) FROM task_runs"), 1);
}

TEST(StoreWriter, DestructionCommitsWhatIsQueued) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.flush_interval = std::chrono::hours(1);
  {
    Store store(options);
    store.flow_run_started(flow_start(kFlow));
    for (std::uint64_t i = 1; i <= 500; ++i) store.task_run_ended(task_run(kFlow, i));
  }
  EXPECT_EQ(RawDb(options.path.string()).integer("SELECT count(*) FROM task_runs"), 500);
}

TEST(StoreWriter, ATaskRunOfAFlowRunNotInTheStoreIsCountedAndTheRestOfItsBatchWritten) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  const std::string stranger = "0190a1b2-0000-7000-8000-0000000000ff";
  store.flow_run_started(flow_start(kFlow));
  store.task_run_ended(task_run(kFlow, 1));
  store.task_run_ended(task_run(stranger, 1));
  store.task_run_ended(task_run(kFlow, 2));
  store.flow_run_ended(flow_end(stranger));
  store.flush();
  const WriteFailures failures = store.write_failures();
  EXPECT_EQ(failures.records, 2u);
  EXPECT_EQ(failures.first_error, "store " + store.path().string() + ": task run " + stranger +
                                      "/1 belongs to flow run " + stranger + ", which is not in the store");
  EXPECT_EQ(failures.task_runs, std::vector<std::string>{stranger + "/1"});
  EXPECT_EQ(store.task_runs_of(kFlow).size(), 2u);
}

TEST(StoreWriter, ATaskRunWrittenTwiceKeepsTheFirstAndCountsTheSecond) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  store.flow_run_started(flow_start(kFlow));
  store.task_run_ended(task_run(kFlow, 1));
  store.task_run_ended(task_run(kFlow, 1, StateId::Failed));
  store.flow_run_started(flow_start(kFlow));  // the same id again
  store.flush();
  const WriteFailures failures = store.write_failures();
  EXPECT_EQ(failures.records, 2u);
  EXPECT_EQ(failures.first_error, "store " + store.path().string() +
                                      ": UNIQUE constraint failed: task_runs.id (SQLITE_CONSTRAINT_PRIMARYKEY)");
  const auto runs = store.task_runs_of(kFlow);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state, StateId::Completed);
  EXPECT_EQ(store.find_flow_run(kFlow).task_runs, 1u);
}

TEST(StoreWriter, AFullDiskRollsBatchesBackCountsTheirRecordsAndKeepsWhatWasCommitted) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.max_bytes = 640 * 1024;  // 40 pages of 16 KiB
  options.max_batch = 50;
  options.inline_result_bytes = 1000;
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  store.task_run_ended(task_run(kFlow, 1));
  store.flush();
  ASSERT_EQ(store.write_failures().records, 0u) << store.write_failures().first_error;

  // Rows of 2 KiB fill 640 KiB long before 2000 of them are written. Large results go to
  // files, which must not stay behind for rows that were rolled back.
  for (std::uint64_t i = 2; i <= 2001; ++i) {
    TaskRunRecord run = task_run(kFlow, i);
    run.params = std::string(2048, 'p');
    if (i % 10 == 0) run.result = std::string(3000, 'r');
    store.task_run_ended(run);
  }
  store.flush();
  const WriteFailures failures = store.write_failures();
  EXPECT_GT(failures.records, 0u);
  EXPECT_EQ(failures.first_error, "store " + options.path.string() + ": database or disk is full (SQLITE_FULL)");
  ASSERT_FALSE(failures.task_runs.empty());
  EXPECT_EQ(failures.task_runs.size(), std::min<std::size_t>(failures.records, 1000));

  // Nothing silently missing: every record is either in the store or counted.
  const auto runs = store.task_runs_of(kFlow);
  EXPECT_EQ(runs.size() + failures.records, 2001u);
  std::set<std::string> lost(failures.task_runs.begin(), failures.task_runs.end());
  for (const TaskRunRecord& run : runs) EXPECT_EQ(lost.count(kFlow + "/" + std::to_string(run.run_no)), 0u);
  EXPECT_EQ(store.find_flow_run(kFlow).task_runs, runs.size());
  // Result files exist for the rows that were committed, and only those.
  std::size_t with_files = 0;
  for (const TaskRunRecord& run : runs) with_files += run.result.size() == 3000 ? 1 : 0;
  EXPECT_EQ(store.info().result_files, with_files);
}

TEST(StoreWriter, AFullStoreKeepsTheFirstRecordsOfABatchThatFitAndCountsTheRest) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.max_bytes = 640 * 1024;
  options.max_batch = 100000;  // one batch: the flow run's start and every task run
  options.flush_interval = std::chrono::hours(1);
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  for (std::uint64_t i = 1; i <= 2000; ++i) {
    TaskRunRecord run = task_run(kFlow, i);
    run.params = std::string(2048, 'p');
    store.task_run_ended(run);
  }
  store.flush();
  const WriteFailures failures = store.write_failures();
  EXPECT_EQ(failures.first_error, "store " + options.path.string() + ": database or disk is full (SQLITE_FULL)");
  // The batch did not go as a whole: its first records went in, in order, up to what fits.
  const auto runs = store.task_runs_of(kFlow);
  ASSERT_GT(runs.size(), 100u);
  EXPECT_LT(runs.size(), 2000u);
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].run_no, i + 1);
  EXPECT_EQ(runs.size() + failures.records, 2000u);
  EXPECT_EQ(store.find_flow_run(kFlow).task_runs, runs.size());
  ASSERT_FALSE(failures.task_runs.empty());
  EXPECT_EQ(failures.task_runs.front(), kFlow + "/" + std::to_string(runs.size() + 1));
}

TEST(StoreWriter, TheLockHeldPastTheBusyTimeoutFailsTheBatchAndLaterOnesSucceed) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.busy_timeout = std::chrono::milliseconds(50);
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  store.flush();
  {
    RawDb other(options.path.string());
    ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), "");
    store.task_run_ended(task_run(kFlow, 1));
    store.task_run_ended(task_run(kFlow, 2));
    store.flush();
    ASSERT_EQ(other.exec("COMMIT"), "");
  }
  WriteFailures failures = store.write_failures();
  EXPECT_EQ(failures.records, 2u);
  EXPECT_EQ(failures.first_error, "store " + options.path.string() + ": database is locked (SQLITE_BUSY)");
  EXPECT_EQ(failures.task_runs, (std::vector<std::string>{kFlow + "/1", kFlow + "/2"}));
  store.task_run_ended(task_run(kFlow, 3));
  store.flush();
  EXPECT_EQ(store.write_failures().records, 2u);
  ASSERT_EQ(store.task_runs_of(kFlow).size(), 1u);
  EXPECT_EQ(store.task_runs_of(kFlow)[0].run_no, 3u);
}

TEST(StoreWriter, AReaderHoldingASnapshotDoesNotBlockTheWriter) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  store.flow_run_started(flow_start(kFlow));
  store.task_run_ended(task_run(kFlow, 1));
  store.flush();
  RawDb reader(store.path().string());
  ASSERT_EQ(reader.exec("BEGIN"), "");
  EXPECT_EQ(reader.integer("SELECT count(*) FROM task_runs"), 1);  // the snapshot starts here
  for (std::uint64_t i = 2; i <= 100; ++i) store.task_run_ended(task_run(kFlow, i));
  store.flush();  // returns although the reader's transaction is still open
  EXPECT_EQ(store.write_failures().records, 0u) << store.write_failures().first_error;
  EXPECT_EQ(store.task_runs_of(kFlow).size(), 100u);
  EXPECT_EQ(reader.integer("SELECT count(*) FROM task_runs"), 1);  // still its snapshot
  ASSERT_EQ(reader.exec("COMMIT"), "");
  EXPECT_EQ(reader.integer("SELECT count(*) FROM task_runs"), 100);
}

TEST(StoreWriter, TwoStoresOnOneFileWritingAtOnceBothComplete) {
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  const std::string flows[2] = {"0190a1b2-c3d4-7e5f-8a6b-000000000001", "0190a1b2-c3d4-7e5f-8a6b-000000000002"};
  constexpr std::uint64_t kRuns = 20000;
  std::vector<std::thread> writers;
  std::atomic<std::uint64_t> failures{0};
  for (const std::string& flow : flows) {
    writers.emplace_back([&, flow] {
      StoreOptions options = options_for(path);
      options.max_batch = 500;
      Store store(options);
      store.flow_run_started(flow_start(flow));
      for (std::uint64_t i = 1; i <= kRuns; ++i) {
        store.task_run_ended(task_run(flow, i));
        if (i % 2000 == 0) store.flush();
      }
      store.flush();
      failures += store.write_failures().records;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0u);
  Store store(options_for(path));
  for (const std::string& flow : flows) {
    EXPECT_EQ(store.task_runs_of(flow).size(), kRuns);
    EXPECT_EQ(store.find_flow_run(flow).task_runs, kRuns);
  }
  EXPECT_EQ(store.info().task_runs, 2 * kRuns);
}

TEST(StoreWriter, BackpressureKeepsTheQueueWithinItsBoundAndLosesNothing) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.max_queued = 16;
  options.max_batch = 64;  // larger than the queue: batches are cut by the bound
  options.flush_interval = std::chrono::hours(1);
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  constexpr int kProducers = 8;
  constexpr std::uint64_t kEach = 2000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&store, p] {
      for (std::uint64_t i = 0; i < kEach; ++i) store.task_run_ended(task_run(kFlow, 1 + p * kEach + i));
    });
  }
  for (auto& t : producers) t.join();
  store.flush();
  EXPECT_EQ(store.write_failures().records, 0u) << store.write_failures().first_error;
  EXPECT_LE(store.queued_high_water(), 16u);
  EXPECT_GE(store.queued_high_water(), 1u);
  const auto runs = store.task_runs_of(kFlow);
  ASSERT_EQ(runs.size(), kProducers * kEach);
  for (std::size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i].run_no, i + 1);
}

TEST(StoreWriter, AQueueOfOneStillWorks) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.max_queued = 1;
  options.max_batch = 1;
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  for (std::uint64_t i = 1; i <= 200; ++i) store.task_run_ended(task_run(kFlow, i));
  store.flush();
  EXPECT_EQ(store.task_runs_of(kFlow).size(), 200u);
  EXPECT_EQ(store.queued_high_water(), 1u);
}

}  // namespace
}  // namespace rh::testing
