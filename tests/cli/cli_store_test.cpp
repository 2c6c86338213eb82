// The store through the real runner-host: where it is, results cached across invocations,
// two processes on one store at once, a flow killed with SIGKILL and resumed, and a store
// that cannot be used (at start: exit 2, one line naming the file).
#include "cli_store_support.hpp"
#include "scratch_dir.hpp"

#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace rh::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliStore : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string store = dir.file("store.db");
  std::string log = dir.file("runs.log");

  // runner-host with the store tasks and this test's store.
  ProcessResult host(std::vector<std::string> args) {
    std::vector<std::string> all = {"--plugin", kStoreTasks, "--store", store};
    all.insert(all.end(), args.begin(), args.end());
    return run_host(all);
  }
  std::size_t executions(const std::string& line) const { return rh::testing::executions(log, line); }
};

TEST_F(CliStore, ASecondInvocationReusesTheFirstOnesResults) {
  const std::string params = json({{"n", 3}, {"log", log}}).dump();
  const ProcessResult first = host({"--flow", "squares", "--params", params, "--report", dir.file("a.json")});
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  const ProcessResult second = host({"--flow", "squares", "--params", params, "--report", dir.file("b.json")});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(executions("square 2"), 1u);
  const json a = parse_json_file(dir.file("a.json"));
  const json b = parse_json_file(dir.file("b.json"));
  EXPECT_NE(a.at("flow_run_id"), b.at("flow_run_id"));
  EXPECT_EQ(a.at("store").at("path"), store);
  EXPECT_TRUE(a.at("store").at("not_persisted").is_null());
  for (const json& run : b.at("task_runs")) {
    EXPECT_EQ(run.at("state").at("name"), "Cached") << run.dump();
    EXPECT_EQ(run.at("cache").at("outcome"), "hit");
    EXPECT_THAT(run.at("cache").at("key").get<std::string>(), StartsWith("square:"));
    EXPECT_EQ(run.at("uuid").get<std::string>().size(), 36u);
  }
  EXPECT_EQ(a.at("task_runs").at(0).at("cache").at("outcome"), "miss: no record");
  // The run ids are the store's.
  host::Store reader(reading(store));
  EXPECT_EQ(reader.find_flow_run("last").id, b.at("flow_run_id"));
}

TEST_F(CliStore, RefreshAndNoCacheSwitches) {
  const std::string params = json({{"n", 1}, {"log", log}}).dump();
  ASSERT_EQ(host({"--flow", "squares", "--params", params}).exit_code, 0);
  ASSERT_EQ(host({"--flow", "squares", "--params", params, "--refresh-cache"}).exit_code, 0);
  ASSERT_EQ(host({"--flow", "squares", "--params", params, "--no-cache"}).exit_code, 0);
  EXPECT_EQ(executions("square 0"), 3u);
  ASSERT_EQ(host({"--flow", "squares", "--params", params}).exit_code, 0);
  EXPECT_EQ(executions("square 0"), 3u);
  EXPECT_EQ(expect_usage_error(host({"--flow", "squares", "--no-cache", "--refresh-cache"})),
            "runner-host: --no-cache and --refresh-cache cannot be combined: choose one");
}

TEST_F(CliStore, FailuresRunAgainNextTime) {
  const std::string params = json({{"fail", true}, {"log", log}}).dump();
  EXPECT_EQ(host({"--flow", "shipping", "--params", params}).exit_code, 1);
  EXPECT_EQ(host({"--flow", "shipping", "--params", params}).exit_code, 1);
  EXPECT_EQ(executions("ship"), 2u);
}

TEST_F(CliStore, NoStoreWritesNothingAndTheDefaultStoreIsUnderTheHome) {
  const std::string params = json({{"n", 1}}).dump();
  const ProcessResult off = run_host({"--plugin", kStoreTasks, "--flow", "squares", "--params", params, "--no-store"},
                                     ProcessOptions{60, false, {}, {}, {"RUNNER_HOST_HOME=" + dir.file("home")}});
  ASSERT_EQ(off.exit_code, 0) << describe(off);
  EXPECT_FALSE(std::filesystem::exists(dir.file("home")));
  const ProcessResult on = run_host({"--plugin", kStoreTasks, "--flow", "squares", "--params", params},
                                    ProcessOptions{60, false, {}, {}, {"RUNNER_HOST_HOME=" + dir.file("home")}});
  ASSERT_EQ(on.exit_code, 0) << describe(on);
  EXPECT_TRUE(std::filesystem::exists(dir.file("home") + "/store.db"));
  EXPECT_EQ(expect_usage_error(host({"--flow", "squares", "--no-store"})),
            "runner-host: --store and --no-store cannot be combined: choose one");
  const std::string config = dir.write("off.json", R"({"store": null, "plugins": [")" + kStoreTasks + R"("]})");
  const ProcessResult from_config =
      run_host({"--config", config, "--flow", "squares"},
               ProcessOptions{60, false, {}, {}, {"RUNNER_HOST_HOME=" + dir.file("home2")}});
  ASSERT_EQ(from_config.exit_code, 0) << describe(from_config);
  EXPECT_FALSE(std::filesystem::exists(dir.file("home2")));
}

TEST_F(CliStore, AStoreThatCannotBeUsedIsRefusedAtStartNamingTheFile) {
  std::filesystem::create_directories(dir.file("a_directory"));
  EXPECT_THAT(expect_usage_error(run_host({"--plugin", kStoreTasks, "--store", dir.file("a_directory")})),
              HasSubstr(dir.file("a_directory")));
  const std::string corrupt = dir.write("corrupt.db", std::string(8192, 'x'));
  const std::string line = expect_usage_error(run_host({"--plugin", kStoreTasks, "--store", corrupt}));
  EXPECT_THAT(line, StartsWith("runner-host: store " + corrupt));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("newer.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THAT(expect_usage_error(run_host({"--plugin", kStoreTasks, "--store", dir.file("newer.db")})),
              HasSubstr("schema version 99"));
}

TEST_F(CliStore, TwoProcessesShareOneStoreAtOnce) {
  std::vector<ProcessResult> results(2);
  std::vector<std::thread> hosts;
  for (int i = 0; i < 2; ++i) {
    hosts.emplace_back([&, i] {
      results[i] = host({"--flow", "squares", "--params", json({{"n", 200 + i}}).dump(), "--runner", "tbb"});
    });
  }
  for (std::thread& t : hosts) t.join();
  for (const ProcessResult& r : results) ASSERT_EQ(r.exit_code, 0) << describe(r);
  host::Store reader(reading(store));
  const std::vector<host::FlowRunSummary> flows = reader.list_flow_runs({});
  ASSERT_EQ(flows.size(), 2u);
  std::size_t task_runs = 0;
  for (const host::FlowRunSummary& flow : flows) {
    EXPECT_TRUE(flow.ended);
    EXPECT_EQ(flow.state, host::StateId::Completed);
    task_runs += reader.task_runs_of(flow.id).size();
  }
  EXPECT_EQ(task_runs, 401u);
}

// SERIALIZABLE across processes: the second process waits for the key the first holds (at the
// gate), then ends Cached with its result; the key is computed once.
TEST_F(CliStore, TwoProcessesWithOneSerializableKeyComputeItOnce) {
  const std::string gate = dir.write("gate", "closed");
  const std::string params =
      json({{"n", 1}, {"slow_from", 0}, {"gate", gate}, {"log", log}, {"task", "square_serial"}}).dump();
  ProcessResult second;
  std::thread second_host;
  ProcessOptions first_options;
  first_options.steps.push_back(
      ProcessStep{Stream::err, "waiting at the gate", 0, 1, [&] {
                    // The first holds the key now; the second asks for it, and the gate
                    // opens once it has.
                    second_host = std::thread([&] {
                      ProcessOptions options;
                      options.steps.push_back(ProcessStep{Stream::err, "taking the lock on cache key", 0, 1,
                                                          [&] { std::filesystem::remove(gate); }});
                      second = run_host({"--plugin", kStoreTasks, "--store", store, "--flow", "squares", "--params",
                                         params, "--log-level", "debug", "--report", dir.file("second.json")},
                                        options);
                    });
                  }});
  const ProcessResult first =
      run_host({"--plugin", kStoreTasks, "--store", store, "--flow", "squares", "--params", params}, first_options);
  if (second_host.joinable()) second_host.join();
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(executions("square 0"), 1u);
  const json report = parse_json_file(dir.file("second.json"));
  ASSERT_EQ(report.at("task_runs").size(), 1u);
  EXPECT_EQ(report.at("task_runs")[0].at("state").at("name"), "Cached");
  EXPECT_EQ(report.at("task_runs")[0].at("cache").at("outcome"), "hit");
  // Both sessions ended: nothing of theirs stays in the locks table.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(store.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM locks", -1, &count, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(count, 0), 0);
  sqlite3_finalize(count);
  sqlite3_close(db);
}

// A holder killed with SIGKILL never releases its key: the next process on this host sees its
// process is gone and takes the key at once, without waiting for its lease (here an hour) to run out.
TEST_F(CliStore, AKeyHeldByAProcessKilledWithSigkillIsFreeForTheNextOneAtOnce) {
  const std::string gate = dir.write("gate", "closed");
  const std::string params =
      json({{"n", 1}, {"slow_from", 0}, {"gate", gate}, {"log", log}, {"task", "square_serial"}}).dump();
  // Its lease is the config's, an hour: only its dead process can free the key in time.
  std::int64_t lease_us = 0;
  ProcessOptions killing;
  killing.steps.push_back(ProcessStep{Stream::err, "waiting at the gate", SIGKILL, 1, [&] {
                                        sqlite3* db = nullptr;
                                        sqlite3_open_v2(store.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
                                        sqlite3_stmt* row = nullptr;
                                        sqlite3_prepare_v2(db, "SELECT expires_us - acquired_us FROM locks", -1, &row,
                                                           nullptr);
                                        if (sqlite3_step(row) == SQLITE_ROW) lease_us = sqlite3_column_int64(row, 0);
                                        sqlite3_finalize(row);
                                        sqlite3_close(db);
                                      }});
  const std::string config = dir.write("lease.json", R"({"store": {"lock_lease_seconds": 3600}})");
  const ProcessResult killed =
      run_host({"--config", config, "--plugin", kStoreTasks, "--store", store, "--flow", "squares", "--params", params},
               killing);
  EXPECT_EQ(lease_us, std::int64_t{3600} * 1000000);
  ASSERT_EQ(killed.term_signal, SIGKILL) << describe(killed);
  std::filesystem::remove(gate);
  ProcessOptions next_options;
  next_options.timeout_seconds = 20;  // hang guard, well below the lease a dead holder would otherwise keep
  const ProcessResult next =
      run_host({"--plugin", kStoreTasks, "--store", store, "--flow", "squares", "--params", params}, next_options);
  ASSERT_EQ(next.exit_code, 0) << describe(next);
  EXPECT_EQ(executions("square 0"), 1u);  // the killed one never got past the gate
}

TEST_F(CliStore, AFlowKilledWithSigkillAndResumedRunsNoCompletedRunAgain) {
  const std::string gate = dir.write("gate", "closed");
  const std::string params =
      json({{"n", 8}, {"slow_from", 5}, {"gate", gate}, {"log", log}, {"task", "square_plain"}}).dump();
  ProcessOptions options;
  options.env = {"RUNNER_HOST_HOME=" + test_home()};
  // Once a run waits at the gate, wait until the five before it are in the store, then kill.
  bool recorded = false;
  options.steps.push_back(ProcessStep{Stream::err, "waiting at the gate", SIGKILL, 1, [&] {
                                        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                                        while (std::chrono::steady_clock::now() < until && !recorded) {
                                          try {
                                            host::Store reader(reading(store));
                                            std::size_t completed = 0;
                                            for (const auto& run :
                                                 reader.task_runs_of(reader.find_flow_run("last").id)) {
                                              completed += run.state == host::StateId::Completed ? 1 : 0;
                                            }
                                            recorded = completed >= 5;
                                          } catch (const host::StoreError&) {
                                            // not written yet
                                          }
                                          if (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                        }
                                      }});
  const ProcessResult killed = run_host({"--plugin", kStoreTasks, "--store", store, "--flow", "squares", "--params",
                                         params, "--runner", "tbb", "--max-workers", "2"},
                                        options);
  ASSERT_EQ(killed.term_signal, SIGKILL) << describe(killed);
  ASSERT_TRUE(recorded);
  for (int x = 0; x < 5; ++x) EXPECT_EQ(executions("square " + std::to_string(x)), 1u) << x;

  std::filesystem::remove(gate);
  const ProcessResult resumed = host({"--resume", "last", "--report", dir.file("resumed.json")});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_THAT(resumed.out, HasSubstr("flow squares"));
  for (int x = 0; x < 5; ++x) EXPECT_EQ(executions("square " + std::to_string(x)), 1u) << x;
  for (int x = 5; x < 8; ++x) EXPECT_EQ(executions("square " + std::to_string(x)), 1u) << x;
  const json report = parse_json_file(dir.file("resumed.json"));
  std::size_t resumed_runs = 0;
  for (const json& run : report.at("task_runs")) {
    if (run.at("state").at("name") == "Cached") {
      ++resumed_runs;
      EXPECT_THAT(run.at("cache").at("outcome").get<std::string>(), StartsWith("resumed from flow run "));
    }
  }
  EXPECT_EQ(resumed_runs, 5u);
  EXPECT_EQ(report.at("flow").at("result"), 140);  // 0+1+4+...+49
  host::Store reader(reading(store));
  const host::FlowRunSummary latest = reader.find_flow_run("last");
  EXPECT_EQ(latest.state, host::StateId::Completed);
  EXPECT_FALSE(latest.resumed_from.empty());
  // The killed flow run never ended.
  EXPECT_FALSE(reader.find_flow_run(latest.resumed_from).ended);
}

TEST_F(CliStore, ResumeErrorsAreOneLine) {
  EXPECT_THAT(expect_usage_error(host({"--resume", "last"})), HasSubstr("no flow run"));
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", kStoreTasks, "--resume", "last", "--no-store"})),
            "runner-host: --resume reads the store: it cannot be combined with --no-store");
}

}  // namespace
}  // namespace rh::testing
