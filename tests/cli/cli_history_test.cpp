// The store's subcommands through the real runner-host: `runs`, `show`, `store info` and
// `store prune`, a reader beside a running writer, and a store that fills up during a run.
#include "cli_store_support.hpp"
#include "scratch_dir.hpp"

#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace rh::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliHistory : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string store = dir.file("store.db");
  std::string log = dir.file("runs.log");

  // A run of the store tasks on this test's store; must end with `exit_code`.
  void run_flow(const std::string& flow, const json& params, int exit_code = 0, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--plugin", kStoreTasks, "--store",  store,
                                     "--flow",   flow,        "--params", params.dump()};
    args.insert(args.end(), more.begin(), more.end());
    const ProcessResult r = run_host(args);
    ASSERT_EQ(r.exit_code, exit_code) << describe(r);
  }
  // A subcommand on this test's store: must succeed, with nothing on stderr.
  std::string command(std::vector<std::string> args) {
    args.push_back("--store");
    args.push_back(store);
    const ProcessResult r = run_host(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.err, "") << describe(r);
    return r.out;
  }
  json command_json(std::vector<std::string> args) {
    args.push_back("--output");
    args.push_back("json");
    return json::parse(command(std::move(args)));
  }
  // A command line the parser refuses: exit 2, its first line says why (the second points
  // to --help).
  static std::string parse_error(const ProcessResult& r) {
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
    return lines_of(r.err).at(0);
  }
  std::size_t executions(const std::string& line) const { return rh::testing::executions(log, line); }
};

TEST_F(CliHistory, RunsListsTheLatestFirstWithTheirCountsAndFilters) {
  run_flow("squares", {{"n", 3}});
  run_flow("shipping", {{"fail", true}}, 1);

  const std::vector<std::string> table = lines_of(command({"runs"}));
  ASSERT_EQ(table.size(), 3u);
  EXPECT_THAT(table[0], StartsWith("ID"));
  EXPECT_THAT(table[0], HasSubstr("FLOW"));
  EXPECT_THAT(table[0], HasSubstr("TASK RUNS"));
  EXPECT_THAT(table[1], HasSubstr("shipping  Failed"));
  EXPECT_THAT(table[1], HasSubstr("1 (1 Failed)"));
  EXPECT_THAT(table[2], HasSubstr("squares   Completed"));
  EXPECT_THAT(table[2], HasSubstr("3 (3 Completed)"));

  const json all = command_json({"runs"});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].at("flow"), "shipping");
  EXPECT_EQ(all[0].at("state"), "Failed");
  EXPECT_EQ(all[0].at("ended"), true);
  EXPECT_EQ(all[0].at("by_state"), json({{"Failed", 1}}));
  EXPECT_EQ(all[1].at("flow"), "squares");
  EXPECT_EQ(all[1].at("task_runs"), 3);
  EXPECT_EQ(all[1].at("params"), json({{"n", 3}}));
  EXPECT_THAT(all[1].at("command_line").get<std::string>(), HasSubstr("--flow squares"));
  EXPECT_GE(all[1].at("duration").get<double>(), 0.0);
  EXPECT_EQ(all[1].at("id").get<std::string>().size(), 36u);

  const json squares = command_json({"runs", "--flow", "squares"});
  ASSERT_EQ(squares.size(), 1u);
  EXPECT_EQ(squares[0].at("id"), all[1].at("id"));
  const json failed = command_json({"runs", "--state", "Failed"});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("flow"), "shipping");
  const json latest = command_json({"runs", "--limit", "1"});
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].at("id"), all[0].at("id"));
  EXPECT_EQ(command({"runs", "--state", "Crashed"}), "no flow runs match in " + store + "\n");
}

TEST_F(CliHistory, ShowGivesTheTableOfTheRunAndAsJsonWhatTheReportSaid) {
  const std::string report = dir.file("report.json");
  run_flow("squares", {{"n", 4}}, 0, {"--report", report});
  const json reported = parse_json_file(report);
  const std::string id = reported.at("flow_run_id");

  const std::string text = command({"show", "last"});
  EXPECT_THAT(text, StartsWith("flow run " + id + " ("));
  EXPECT_THAT(text, HasSubstr("flow squares, Completed"));
  EXPECT_THAT(text, HasSubstr("command: "));
  EXPECT_THAT(text, HasSubstr("TASK    RUN"));
  EXPECT_THAT(text, HasSubstr("4 task runs: 4 Completed\n"));
  for (const json& run : reported.at("task_runs")) EXPECT_THAT(text, HasSubstr(run.at("name").get<std::string>()));
  // Any unique prefix names it, in any case.
  EXPECT_EQ(command({"show", id.substr(0, 13)}), text);

  const json shown = command_json({"show", id});
  EXPECT_EQ(shown.at("flow_run_id"), id);
  EXPECT_EQ(shown.at("flow").at("state"), "Completed");
  EXPECT_EQ(shown.at("flow").at("result"), 14);  // 0+1+4+9
  EXPECT_EQ(shown.at("summary").at("task_runs"), 4);
  ASSERT_EQ(shown.at("task_runs").size(), reported.at("task_runs").size());
  for (std::size_t i = 0; i < shown.at("task_runs").size(); ++i) {
    const json& stored = shown.at("task_runs")[i];
    const json& live = reported.at("task_runs")[i];
    for (const char* key : {"id", "uuid", "task", "name", "states", "run_count", "params", "result"}) {
      EXPECT_EQ(stored.at(key), live.at(key)) << key;
    }
    EXPECT_EQ(stored.at("state").at("name"), live.at("state").at("name"));
  }
}

TEST_F(CliHistory, ShowOfAManyRunFlowListsOnlyWhatDidNotCompleteUnlessAskedForAll) {
  run_flow("squares", {{"n", 60}, {"task", "square_plain"}});
  const std::vector<std::string> short_form = lines_of(command({"show", "last"}));
  // No row to list: the counts under a header instead, then the line of counts.
  ASSERT_GE(short_form.size(), 3u);
  EXPECT_EQ(short_form.back(), "60 task runs: 60 Completed (every one completed; --all shows every one)");
  EXPECT_EQ(short_form[short_form.size() - 3], "STATE      RUNS");
  EXPECT_EQ(short_form[short_form.size() - 2], "Completed  60");
  for (const std::string& line : short_form) EXPECT_THAT(line, ::testing::Not(StartsWith("TASK")));
  const std::vector<std::string> every = lines_of(command({"show", "last", "--all"}));
  ASSERT_EQ(every.size(), short_form.size() - 2 + 61);  // the header and 60 rows instead of the counts
  EXPECT_THAT(every[short_form.size() - 3], StartsWith("TASK          RUN"));
  EXPECT_EQ(every.back(), "60 task runs: 60 Completed");
}

TEST_F(CliHistory, IdsThatNameNoRunOrSeveralAndMissingStoresAreOneLineErrors) {
  run_flow("squares", {{"n", 1}});
  run_flow("squares", {{"n", 2}});
  EXPECT_EQ(expect_usage_error(run_host({"show", "zz", "--store", store})),
            "runner-host: no flow run in store " + store + " matches 'zz'");
  // Both ids are UUIDv7 of this minute: they share their first characters.
  EXPECT_EQ(expect_usage_error(run_host({"show", "0", "--store", store})),
            "runner-host: '0' matches 2 flow runs in store " + store + ": give more characters");
  const std::string missing = dir.file("none.db");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"runs", "--store", missing}, {"show", "last", "--store", missing}, {"store", "info", "--store", missing}}) {
    EXPECT_EQ(expect_usage_error(run_host(args)), "runner-host: store " + missing + " does not exist") << args[0];
  }
  EXPECT_FALSE(std::filesystem::exists(missing));  // read commands never create a store
  EXPECT_THAT(expect_usage_error(run_host({"runs", "--state", "Done", "--store", store})),
              StartsWith("runner-host: --state: no state is called 'Done' (one of Pending, "));
  EXPECT_THAT(parse_error(run_host({"runs", "--output", "yaml", "--store", store})), HasSubstr("--output"));
  EXPECT_THAT(parse_error(run_host({"show"})), HasSubstr("id"));
}

TEST_F(CliHistory, StoreInfoCountsWhatTheStoreHolds) {
  run_flow("squares", {{"n", 3}});
  run_flow("shipping", {{"fail", false}});
  const json info = command_json({"store", "info"});
  EXPECT_EQ(info.at("path"), store);
  EXPECT_EQ(info.at("schema_version"), host::Store::kSchemaVersion);
  EXPECT_EQ(info.at("flow_runs"), 2);
  EXPECT_EQ(info.at("task_runs"), 4);
  EXPECT_EQ(info.at("persisted_results"), 4);
  EXPECT_EQ(info.at("cache_entries"), 4);  // square x3, ship
  EXPECT_GT(info.at("bytes").get<std::uint64_t>(), 0u);
  const std::string text = command({"store", "info"});
  EXPECT_THAT(text, HasSubstr("store              " + store + "\n"));
  EXPECT_THAT(text, HasSubstr("flow runs          2\n"));
  EXPECT_THAT(text, HasSubstr("task runs          4\n"));
  EXPECT_THAT(text, HasSubstr("schema version     " + std::to_string(host::Store::kSchemaVersion) + "\n"));
}

TEST_F(CliHistory, PruneRemovesOldFlowRunsButKeepsResultsACacheEntryStillUses) {
  run_flow("squares", {{"n", 2}, {"task", "square_plain"}});  // nothing cached
  run_flow("shipping", {{"fail", false}, {"log", log}});      // its ship result is cached
  EXPECT_EQ(command({"store", "prune", "--older-than", "1h"}),
            "pruned 0 flow runs, 0 task runs, 0 expired cache entries, 0 result files\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // both are now older than 1s
  EXPECT_EQ(command({"store", "prune", "--older-than", "1s"}),
            "pruned 1 flow run, 2 task runs, 0 expired cache entries, 0 result files; kept 1 older task run that "
            "unexpired cache entries use\n");
  const json left = command_json({"runs"});
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].at("flow"), "shipping");
  // The kept result still serves the cache.
  run_flow("shipping", {{"fail", false}, {"log", log}});
  EXPECT_EQ(executions("ship"), 1u);

  EXPECT_EQ(expect_usage_error(run_host({"store", "prune", "--older-than", "7 days", "--store", store})),
            "runner-host: --older-than takes an age such as 90s, 15m, 12h, 7d or 2w, got '7 days'");
  EXPECT_THAT(parse_error(run_host({"store", "prune", "--store", store})), HasSubstr("--older-than"));
  EXPECT_THAT(parse_error(run_host({"store", "--store", store})), HasSubstr("subcommand"));
}

TEST_F(CliHistory, AReaderSeesARunningFlowRunWithoutHoldingUpItsWriter) {
  const std::string gate = dir.write("gate", "closed");
  std::string seen;
  ProcessOptions options;
  options.steps.push_back(ProcessStep{Stream::err, "waiting at the gate", 0, 1, [&] {
                                        // The flow run's start is committed within the flush interval.
                                        for (int i = 0; i < 600 && !contains(seen, "squares  Running"); ++i) {
                                          seen = run_host({"runs", "--store", store}).out;
                                          if (!contains(seen, "squares  Running")) {
                                            std::this_thread::sleep_for(std::chrono::milliseconds(50));
                                          }
                                        }
                                        std::filesystem::remove(gate);
                                      }});
  const ProcessResult r = run_host({"--plugin", kStoreTasks, "--store", store, "--flow", "squares", "--params",
                                    json({{"n", 3}, {"slow_from", 2}, {"gate", gate}}).dump()},
                                   options);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(seen, HasSubstr("squares  Running"));
  EXPECT_THAT(lines_of(command({"runs"})).at(1), HasSubstr("squares  Completed"));
}

TEST_F(CliHistory, AStoreThatFillsUpDuringARunStillFinishesItAndSaysWhatWasNotPersisted) {
  const std::string config = dir.write("full.json", json({{"store", {{"path", store}, {"max_size_mb", 1}}}}).dump());
  const std::string report = dir.file("report.json");
  constexpr int kRuns = 20000;  // about 3 MB of rows
  const ProcessResult r = run_host({"--config", config, "--plugin", kStoreTasks, "--flow", "squares", "--params",
                                    json({{"n", kRuns}, {"task", "square_plain"}}).dump(), "--report", report});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.out, HasSubstr(std::to_string(kRuns) + " task runs: " + std::to_string(kRuns) + " Completed"));
  const std::vector<std::string> errors = lines_of(r.err);
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  EXPECT_THAT(errors[0], ::testing::MatchesRegex("runner-host: [0-9]+ record\\(s\\) were not persisted: store .*: "
                                                 "database or disk is full \\(SQLITE_FULL\\)"));
  const json lost = parse_json_file(report).at("store").at("not_persisted");
  const std::uint64_t records = lost.at("records");
  EXPECT_EQ(lost.at("task_runs").size(), std::min<std::uint64_t>(records, 1000));

  // What fitted is there, the first records first (the flow run's start), and every record
  // is either in the store or counted as lost.
  host::Store reader(reading(store));
  const host::FlowRunSummary flow = reader.find_flow_run("last");
  const std::uint64_t stored = reader.task_runs_of(flow.id).size();
  EXPECT_GT(stored, 0u);
  EXPECT_EQ(stored + records, kRuns + (flow.ended ? 0u : 1u));

  EXPECT_EQ(expect_usage_error(run_host(
                {"--config", dir.write("zero.json", R"({"store": {"max_size_mb": 0}})"), "--plugin", kStoreTasks})),
            "runner-host: config error: " + dir.file("zero.json") + ": store.max_size_mb: must be >= 1, got 0");
  EXPECT_EQ(expect_usage_error(run_host({"--config", dir.write("lease.json", R"({"store": {"lock_lease_seconds": 0}})"),
                                         "--plugin", kStoreTasks})),
            "runner-host: config error: " + dir.file("lease.json") + ": store.lock_lease_seconds: must be >= 1, got 0");
}

}  // namespace
}  // namespace rh::testing
