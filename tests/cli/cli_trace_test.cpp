// --trace FILE: the Chrome trace-event JSON checked against the report of the same run: a
// slice per attempt on a named track, ending in the state the report says, the retry delay
// on its own track, an arrow per dependency edge, and tracks whose slices never overlap.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;

struct Trace {
  std::vector<json> slices, retry_delays, arrow_tails, arrow_heads;
  std::map<std::uint64_t, std::string> thread_names;
  std::string process_name;
};

Trace read_trace(const std::string& path) {
  const json doc = parse_json_file(path);
  Trace trace;
  for (const json& e : doc.at("traceEvents")) {
    const std::string ph = e.at("ph");
    EXPECT_EQ(e.at("pid"), 1) << e;
    if (ph == "M" && e.at("name") == "thread_name") trace.thread_names[e.at("tid")] = e.at("args").at("name");
    if (ph == "M" && e.at("name") == "process_name") trace.process_name = e.at("args").at("name");
    if (ph == "X") (e.at("cat") == "retry" ? trace.retry_delays : trace.slices).push_back(e);
    if (ph == "s") trace.arrow_tails.push_back(e);
    if (ph == "f") trace.arrow_heads.push_back(e);
  }
  return trace;
}

// The state each attempt of `run` (a report entry) ended in: what follows each Running or
// Retrying entry of its history.
std::vector<std::string> attempt_outcomes(const json& run) {
  std::vector<std::string> outcomes;
  const json& states = run.at("states");
  for (std::size_t i = 0; i + 1 < states.size(); ++i) {
    if (states[i] == "Running" || states[i] == "Retrying") outcomes.push_back(states[i + 1]);
  }
  return outcomes;
}

TEST(CliTrace, HasASlicePerAttemptAnArrowPerEdgeAndTheRetryDelayAsTheReportSays) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", {kTasks}},
                                      {"flow", "traced_flow"},
                                      {"tasks", {{"flaky", {{"retries", 1}, {"retry_delay", 0.05}}}}}}
                                     .dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "--runner", "fiber", "--trace",
                                    dir.file("trace.json"), "--report", dir.file("report.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const json report = parse_json_file(dir.file("report.json"));
  const Trace trace = read_trace(dir.file("trace.json"));
  EXPECT_EQ(trace.process_name, "runner-host: flow traced_flow on fiber");

  std::vector<json> runs = report.at("task_runs").get<std::vector<json>>();
  runs.push_back(report.at("flow"));
  std::size_t attempts = 0, delays = 0, edges = 0;
  for (const json& run : runs) {
    SCOPED_TRACE(run.at("name").get<std::string>());
    std::vector<json> mine;
    for (const json& slice : trace.slices) {
      if (slice.at("args").at("run_id") == run.at("id")) mine.push_back(slice);
    }
    const std::vector<std::string> outcomes = attempt_outcomes(run);
    ASSERT_EQ(mine.size(), run.at("run_count").get<std::size_t>());
    ASSERT_EQ(mine.size(), outcomes.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(mine[i].at("name"), run.at("name"));
      EXPECT_EQ(mine[i].at("args").at("attempt"), i + 1);
      EXPECT_EQ(mine[i].at("args").at("state"), outcomes[i]);
      EXPECT_EQ(mine[i].at("args").at("task"), run.contains("flow") ? run.at("flow") : run.at("task"));
      EXPECT_GE(mine[i].at("dur").get<double>(), 0);
      EXPECT_TRUE(trace.thread_names.count(mine[i].at("tid"))) << "a slice on an unnamed track";
      if (i > 0) {
        EXPECT_GT(mine[i].at("ts").get<double>(), mine[i - 1].at("ts").get<double>());
      }
    }
    attempts += mine.size();
    delays += static_cast<std::size_t>(std::count(run.at("states").begin(), run.at("states").end(), "AwaitingRetry"));
    edges += run.at("inputs").size();
  }
  EXPECT_EQ(trace.slices.size(), attempts);
  EXPECT_EQ(attempts, 5u);  // flow, add, echo, flaky twice
  ASSERT_EQ(trace.retry_delays.size(), delays);
  ASSERT_EQ(delays, 1u);
  EXPECT_EQ(trace.thread_names.at(trace.retry_delays[0].at("tid")), "retry delays");
  EXPECT_GE(trace.retry_delays[0].at("dur").get<double>(), 50000);  // the configured 0.05 s

  // One arrow, from the end of add's slice to the start of echo's.
  ASSERT_EQ(edges, 1u);
  ASSERT_EQ(trace.arrow_tails.size(), 1u);
  ASSERT_EQ(trace.arrow_heads.size(), 1u);
  EXPECT_EQ(trace.arrow_tails[0].at("id"), trace.arrow_heads[0].at("id"));
  auto slice_of = [&](const std::string& task) {
    for (const json& slice : trace.slices) {
      if (slice.at("args").at("task") == task) return slice;
    }
    return json();
  };
  const json add = slice_of("add"), echo = slice_of("echo");
  EXPECT_EQ(trace.arrow_tails[0].at("tid"), add.at("tid"));
  EXPECT_GT(trace.arrow_tails[0].at("ts").get<double>(), add.at("ts").get<double>());
  EXPECT_LE(trace.arrow_tails[0].at("ts").get<double>(), add.at("ts").get<double>() + add.at("dur").get<double>());
  EXPECT_EQ(trace.arrow_heads[0].at("tid"), echo.at("tid"));
  EXPECT_EQ(trace.arrow_heads[0].at("ts"), echo.at("ts"));
  EXPECT_EQ(trace.arrow_heads[0].at("bp"), "e");
}

// On one fiber thread the flow and its two naps execute at once: each on a lane of its own,
// so no track has overlapping slices (which a trace viewer could not draw).
TEST(CliTrace, AttemptsExecutingAtOnceOnOneThreadGetLanesOfTheirOwn) {
  TempDir dir;
  const ProcessResult r =
      run_host({"--plugin", kSleepers, "--flow", "sleepers", "--params", R"({"naps": 2, "waiters": 1, "seconds": 0.2})",
                "--runner", "fiber", "--max-workers", "1", "--trace", dir.file("trace.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const Trace trace = read_trace(dir.file("trace.json"));
  ASSERT_EQ(trace.slices.size(), 4u);  // the flow, two naps, one waiter
  std::map<std::uint64_t, std::vector<std::pair<double, double>>> by_track;
  for (const json& slice : trace.slices) {
    const double ts = slice.at("ts");
    by_track[slice.at("tid")].emplace_back(ts, ts + slice.at("dur").get<double>());
  }
  EXPECT_GE(by_track.size(), 3u);  // the flow and both naps at once
  std::set<std::string> names;
  for (auto& [tid, spans] : by_track) {
    names.insert(trace.thread_names.at(tid));
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) EXPECT_LE(spans[i - 1].second, spans[i].first) << tid;
  }
  EXPECT_TRUE(names.count("thread 1")) << ::testing::PrintToString(names);
  EXPECT_TRUE(names.count("thread 1, lane 2")) << ::testing::PrintToString(names);
  // Two arrows: each nap to the waiter.
  EXPECT_EQ(trace.arrow_tails.size(), 2u);
  EXPECT_EQ(trace.arrow_heads.size(), 2u);
}

// With one slot for the tag of twelve runs, the others wait: each wait is a slice on the
// "tag slot waits" track, from the moment the run was queued to its first attempt.
TEST(CliTrace, WaitsForATagSlotAreSlicesOfTheirOwnTrack) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", {kReportTasks}},
                                      {"flow", "showcase"},
                                      {"concurrency_limits", {{"squares", 1}}},
                                      {"store", nullptr}}
                                     .dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "--runner", "tbb", "--max-workers", "2", "--trace",
                                    dir.file("trace.json"), "--report", dir.file("report.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);  // boom fails on purpose
  const json doc = parse_json_file(dir.file("trace.json"));
  std::vector<json> waits;
  std::map<std::uint64_t, std::string> names;
  std::map<std::uint64_t, std::int64_t> first_attempt;
  for (const json& e : doc.at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "thread_name") names[e.at("tid")] = e.at("args").at("name");
    if (e.at("ph") != "X") continue;
    if (e.at("cat") == "slot_wait") waits.push_back(e);
    if (e.at("cat") == "task" && e.at("args").at("attempt") == 1) first_attempt[e.at("args").at("run_id")] = e.at("ts");
  }
  ASSERT_FALSE(waits.empty()) << "one slot for twelve runs: some must wait";
  EXPECT_LE(waits.size(), 11u);
  std::map<std::uint64_t, std::string> tasks;
  const json report = parse_json_file(dir.file("report.json"));
  for (const json& run : report.at("task_runs")) tasks[run.at("id")] = run.at("task");
  for (const json& wait : waits) {
    const std::uint64_t run = wait.at("args").at("run_id");
    SCOPED_TRACE(run);
    EXPECT_EQ(tasks.at(run), "square");
    EXPECT_EQ(names.at(wait.at("tid")), "tag slot waits");
    EXPECT_EQ(wait.at("args").at("tags"), json({"squares"}));
    EXPECT_GE(wait.at("dur").get<std::int64_t>(), 0);
    ASSERT_TRUE(first_attempt.count(run));
    EXPECT_LE(wait.at("ts").get<std::int64_t>() + wait.at("dur").get<std::int64_t>(), first_attempt.at(run))
        << "the wait ends before the run's first attempt starts";
  }
}

TEST(CliTrace, APathThatCannotBeWrittenIsRefusedBeforeRunning) {
  const std::string line =
      expect_usage_error(run_host({"--plugin", kTasks, "--task", "echo", "--trace", "/proc/no-such-dir/t.json"}));
  EXPECT_THAT(line, HasSubstr("runner-host: cannot write the trace '/proc/no-such-dir/t.json': "));
}

}  // namespace
