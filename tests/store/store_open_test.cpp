// Opening a store: the schema and its version, WAL, and every file that cannot be a store
// refused with one line naming it.
#include "store_support.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

TEST(StoreOpen, CreatesTheFileItsFolderAndTheLatestSchemaInWalMode) {
  ScratchDir dir;
  const std::string path = dir.file("deep/er/store.db");
  {
    Store store(options_for(path));
    EXPECT_EQ(store.path(), path);
    EXPECT_EQ(store.info().schema_version, Store::kSchemaVersion);
  }
  ASSERT_TRUE(std::filesystem::is_regular_file(path));
  RawDb db(path);
  EXPECT_EQ(db.integer("PRAGMA user_version"), Store::kSchemaVersion);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(db.integer("PRAGMA page_size"), 16384);
  EXPECT_EQ(db.integer("PRAGMA application_id"), 0x52487374);
  EXPECT_EQ(db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
            "cache_entries\nflow_runs\nlocks\ntask_runs\ntransactions\n");
}

TEST(StoreOpen, ReopeningKeepsWhatWasWrittenAndMigratesNothing) {
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  {
    Store store(options_for(path));
    store.flow_run_started(flow_start("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"));
  }
  Store again(options_for(path));
  EXPECT_EQ(again.info().flow_runs, 1u);
  EXPECT_EQ(again.info().schema_version, Store::kSchemaVersion);
}

TEST(StoreOpen, AVersion1StoreIsMigratedKeepingItsRecords) {
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  {
    Store store(options_for(path));
    store.flow_run_started(flow_start("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"));
  }
  {
    RawDb db(path);  // back to what version 1 wrote
    ASSERT_EQ(db.exec("DROP TABLE transactions; DROP TABLE locks; ALTER TABLE task_runs DROP COLUMN upstreams; "
                      "PRAGMA user_version = 1"),
              "");
  }
  Store again(options_for(path));
  EXPECT_EQ(again.info().schema_version, Store::kSchemaVersion);
  EXPECT_EQ(again.info().flow_runs, 1u);
  EXPECT_FALSE(again.find_transaction("k").has_value());                            // the table is there again
  EXPECT_TRUE(again.task_runs_of("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b").empty());  // and the upstreams column
}

TEST(StoreOpen, AnEmptyFileBecomesAStore) {
  ScratchDir dir;
  const std::string path = dir.write("store.db", "");
  Store store(options_for(path));
  EXPECT_EQ(store.info().schema_version, Store::kSchemaVersion);
}

TEST(StoreOpen, RefusesANewerSchema) {
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  { Store store(options_for(path)); }
  {
    RawDb db(path);
    ASSERT_EQ(db.exec("PRAGMA user_version = 7"), "");
  }
  const std::string expected = "store " + path +
                               " was written by a newer runner-host (schema version 7); this build reads schema "
                               "versions up to " +
                               std::to_string(Store::kSchemaVersion);
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }), expected);
  StoreOptions read_only = options_for(path);
  read_only.read_only = true;
  EXPECT_EQ(store_error_of([&] { Store store(read_only); }), expected);
}

TEST(StoreOpen, RefusesAFileThatIsNotADatabase) {
  ScratchDir dir;
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage += static_cast<char>((i * 7919) & 0xff);
  const std::string path = dir.write("store.db", garbage);
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }),
            "store " + path + ": file is not a database (SQLITE_NOTADB)");
  StoreOptions read_only = options_for(path);
  read_only.read_only = true;
  EXPECT_EQ(store_error_of([&] { Store store(read_only); }),
            "store " + path + ": file is not a database (SQLITE_NOTADB)");
  // Refused, not rewritten.
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);
}

TEST(StoreOpen, RefusesAStoreWhoseSchemaPageIsDamaged) {
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  { Store store(options_for(path)); }
  {
    // Page 1 past its 100-byte header holds sqlite_master's B-tree page.
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(100);
    const std::string junk(400, '\x5a');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }),
            "store " + path + ": database disk image is malformed (SQLITE_CORRUPT)");
}

TEST(StoreOpen, RefusesAnotherProgramsDatabase) {
  ScratchDir dir;
  const std::string path = dir.file("other.db");
  {
    RawDb db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_EQ(db.exec("CREATE TABLE notes (text TEXT)"), "");
  }
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }),
            "store " + path + " is not a runner-host store (a SQLite database of application id 0x00000000)");
  {
    RawDb db(path);
    ASSERT_EQ(db.exec("PRAGMA application_id = 1234"), "");
  }
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }),
            "store " + path + " is not a runner-host store (a SQLite database of application id 0x000004d2)");
  RawDb db(path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sqlite_master"), 1);  // left as it was
}

TEST(StoreOpen, RefusesADirectory) {
  ScratchDir dir;
  EXPECT_EQ(store_error_of([&] { Store store(options_for(dir.path().string())); }),
            "store " + dir.path().string() + " is a directory");
}

TEST(StoreOpen, RefusesAFolderThatCannotBeCreated) {
  // Under a regular file, no folder can be made, root or not.
  EXPECT_EQ(store_error_of([&] { Store store(options_for("/dev/null/x/store.db")); }),
            "store /dev/null/x/store.db: cannot create folder /dev/null/x: Not a directory");
}

TEST(StoreOpen, RefusesAFolderItMayNotWriteIn) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root, which permissions do not stop";
  ScratchDir dir;
  const std::filesystem::path folder = dir.path() / "locked";
  std::filesystem::create_directories(folder);
  std::filesystem::permissions(folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const std::string path = (folder / "store.db").string();
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }),
            "store " + path + ": cannot create it in " + folder.string() + ": Permission denied");
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
}

TEST(StoreOpen, RefusesAFileItMayNotWrite) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root, which permissions do not stop";
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  { Store store(options_for(path)); }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read);
  EXPECT_EQ(store_error_of([&] { Store store(options_for(path)); }),
            "store " + path + ": cannot write to it (permission denied); read commands open it read-only");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

TEST(StoreOpen, ReadOnlyNeverCreates) {
  ScratchDir dir;
  const std::string path = dir.file("sub/store.db");
  StoreOptions options = options_for(path);
  options.read_only = true;
  EXPECT_EQ(store_error_of([&] { Store store(options); }), "store " + path + " does not exist");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "sub"));
}

TEST(StoreOpen, ReadOnlyRefusesAnOlderSchemaAndAnEmptyFile) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.write("store.db", ""));
  options.read_only = true;
  EXPECT_EQ(store_error_of([&] { Store store(options); }),
            "store " + options.path.string() + " is empty (no runner-host schema in it)");
  {
    RawDb db(options.path.string());
    ASSERT_EQ(db.exec("PRAGMA application_id = 1380479860; PRAGMA user_version = 0; CREATE TABLE t (x)"), "");
  }
  // A store of an older version (there is none before 1 yet; one with user_version 0 but
  // our application id and a table stands for it).
  EXPECT_EQ(store_error_of([&] { Store store(options); }),
            "store " + options.path.string() + " has schema version 0, older than this build's " +
                std::to_string(Store::kSchemaVersion) +
                ": run runner-host once (any run) to upgrade it before reading it");
  EXPECT_EQ(RawDb(options.path.string()).integer("PRAGMA user_version"), 0);
}

TEST(StoreOpen, ReadOnlyReadsAndRefusesWrites) {
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  const std::string id = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
  {
    Store store(options_for(path));
    store.flow_run_started(flow_start(id));
  }
  StoreOptions options = options_for(path);
  options.read_only = true;
  Store store(options);
  EXPECT_EQ(store.find_flow_run("last").id, id);
  EXPECT_EQ(store_error_of([&] { store.task_run_ended(task_run(id, 1)); }),
            "store " + path + " is open read-only: cannot write a task run");
  EXPECT_EQ(store_error_of([&] { store.prune(kT0); }), "store " + path + " is open read-only: cannot prune it");
  store.flush();  // nothing to wait for
  EXPECT_EQ(store.write_failures().records, 0u);
}

TEST(StoreOpen, TwoProcessesOpeningAtOnceMigrateOnce) {
  // Two Store objects stand for two processes: each migration step runs under BEGIN
  // IMMEDIATE and reads the version again, so the second finds the work done.
  ScratchDir dir;
  const std::string path = dir.file("store.db");
  std::vector<std::thread> openers;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    openers.emplace_back([&] {
      try {
        Store store(options_for(path));
      } catch (const StoreError& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : openers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(RawDb(path).integer("PRAGMA user_version"), Store::kSchemaVersion);
}

}  // namespace
}  // namespace rh::testing
