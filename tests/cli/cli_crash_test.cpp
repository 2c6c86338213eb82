// Task code that takes the process down, or tries to, on the in-process runners: a crash
// is named in one line and ends the host with the signal's status, with every event up to
// it written; exit() ends the host with a report of what completed; a timed-out task that
// ignores its deadline does not keep the host alive; deep nesting works to the documented
// depth and is refused past it. The process timeouts are hang guards only.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr double kCrashHangGuard = 60;

class CrashOnRunner : public ::testing::TestWithParam<std::string> {};

struct Crash {
  std::string task;
  int signal;
  std::string name;
};

TEST_P(CrashOnRunner, NamesTheRunAndEndsWithTheSignalWithEveryEventWritten) {
  for (const Crash& crash :
       {Crash{"segfault", SIGSEGV, "SIGSEGV (segmentation fault)"}, Crash{"abort", SIGABRT, "SIGABRT (aborted)"}}) {
    SCOPED_TRACE(crash.task);
    TempDir dir;
    ProcessOptions options;
    options.timeout_seconds = kCrashHangGuard;
    const ProcessResult r = run_host({"--plugin", kHazards, "--flow", "then_bad", "--runner", GetParam(), "--params",
                                      R"({"bad": ")" + crash.task + R"("})", "--events", dir.file("e.jsonl")},
                                     options);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.term_signal, crash.signal) << describe(r);
    EXPECT_THAT(r.err, HasSubstr("runner-host: task run '" + crash.task + "-")) << describe(r);
    EXPECT_THAT(r.err, HasSubstr(", task '" + crash.task + "') crashed the host with " + crash.name +
                                 "; runs that completed are in the events file; --runner process isolates tasks\n"))
        << describe(r);
    // Every line is whole, and the three runs that completed before are there.
    std::size_t completed = 0;
    bool crashed_run_started = false;
    for (const std::string& line : lines_of(read_file(dir.file("e.jsonl")))) {
      const json event = json::parse(line);
      if (event.at("event") == "task-run.Completed") ++completed;
      if (event.at("event") == "task-run.Running" && event.at("run").at("task") == crash.task) {
        crashed_run_started = true;
      }
    }
    EXPECT_EQ(completed, 3u);
    EXPECT_TRUE(crashed_run_started);
  }
}

TEST_P(CrashOnRunner, ExitInATaskEndsTheHostWithAReportOfWhatCompleted) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kCrashHangGuard;
  const ProcessResult r = run_host({"--plugin", kHazards, "--flow", "then_bad", "--runner", GetParam(), "--params",
                                    R"({"bad": "exit", "bad_params": {"status": 3}})", "--report", dir.file("r.json")},
                                   options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, MatchesRegex(".*runner-host: task run 'exit-[0-9a-f]+' called exit\\(3\\) while runs were in "
                                  "progress; the host stops \\(--runner process isolates tasks\\)\n.*"));
  const json report = parse_json_file(dir.file("r.json"));
  ASSERT_EQ(report.at("task_runs").size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(report.at("task_runs").at(i).at("state").at("name"), "Completed");
  const json& exiting = report.at("task_runs").at(3);
  EXPECT_EQ(exiting.at("state").at("name"), "Crashed");
  EXPECT_EQ(exiting.at("state").at("message"), "The task called exit(3), which ends the host.");
  EXPECT_EQ(report.at("flow").at("state").at("name"), "Cancelled");
  EXPECT_THAT(r.out, HasSubstr("4 task runs: 3 Completed, 1 Crashed"));
}

INSTANTIATE_TEST_SUITE_P(Runners, CrashOnRunner, ::testing::Values("sequential", "fiber", "tbb"),
                         [](const auto& info) { return info.param; });

// tbb never runs a run with a timeout on its waiter's stack, so the flow goes on past the
// timed-out run; the host then does not wait for the attempt still executing.
TEST(CliAbandonedAttempt, TimedOutTaskThatIgnoresItDoesNotKeepTheHostAlive) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kCrashHangGuard;
  const ProcessResult r = run_host({"--plugin", kHazards, "--flow", "timeout_flow", "--runner", "tbb", "--grace", "0.2",
                                    "--report", dir.file("r.json")},
                                   options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("timed out run reported TimedOut\n"));
  EXPECT_THAT(r.err, MatchesRegex(".*runner-host: not waiting for 1 attempt\\(s\\) still executing after their run "
                                  "ended: 'ignores_timeout-[0-9a-f]+' \\(TimedOut\\); they are abandoned at exit\n.*"));
  const json report = parse_json_file(dir.file("r.json"));
  EXPECT_EQ(report.at("task_runs").at(0).at("state").at("name"), "TimedOut");
  EXPECT_EQ(report.at("flow").at("state").at("name"), "Completed");
}

// On fiber (a fiber stays on its thread) and sequential (one thread) the flow cannot go on
// while the task blocks its thread; the first interrupt still ends the host.
TEST(CliAbandonedAttempt, AnInterruptEndsAHostHeldByATaskThatIgnoresItsTimeout) {
  for (const std::string runner : {"fiber", "sequential"}) {
    SCOPED_TRACE(runner);
    ProcessOptions options;
    options.timeout_seconds = kCrashHangGuard;
    ProcessStep step;
    step.marker = "ignores_timeout running";
    step.signal = SIGINT;
    step.action = [] { usleep(300 * 1000); };  // past the run's 0.2 s timeout
    options.steps = {step};
    std::vector<std::string> args = {"--plugin", kHazards, "--flow",  "timeout_flow",
                                     "--runner", runner,   "--grace", "0.2"};
    if (runner == "fiber") args.insert(args.end(), {"-w", "1"});  // the flow and the task share the one thread
    const ProcessResult r = run_host(args, options);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 130) << describe(r);
    EXPECT_THAT(r.out, HasSubstr("1 task run: 1 TimedOut\n"));
  }
}

TEST(CliNesting, RunsNestToTheDocumentedDepthOnEveryRunnerAndNoDeeper) {
#if defined(__SANITIZE_THREAD__)
  // 10,000 nested runs on each runner, a stress test: under TSan one depth takes longer than the
  // test's 120 s per process (Release takes about a second, ASan about eight for all three).
  GTEST_SKIP() << "too slow under TSan (docs/sanitizers.md)";
#endif
  for (const std::string runner : {"sequential", "fiber", "tbb"}) {
    SCOPED_TRACE(runner);
    ProcessOptions options;
    options.timeout_seconds = 120;
    const ProcessResult deep = run_host(
        {"--plugin", kHazards, "--flow", "nest_flow", "--runner", runner, "--params", R"({"depth": 9999})"}, options);
    ASSERT_FALSE(deep.timed_out) << describe(deep);
    EXPECT_EQ(deep.exit_code, 0) << describe(deep);
    EXPECT_THAT(deep.out, HasSubstr(") Completed: 9999\n"));

#if defined(__SANITIZE_ADDRESS__)
    // The refusal is an exception thrown 10,000 runs deep on the host's 1 GiB stack, and ASan
    // cannot unpoison a stack larger than 64 MiB when an exception unwinds it (it says so:
    // "ASan is ignoring requested __asan_handle_no_return"), so it reports false errors
    // (google/sanitizers#189). The other runners nest on stacks of their own.
    if (runner == "sequential") continue;
#endif
    const ProcessResult too_deep = run_host(
        {"--plugin", kHazards, "--flow", "nest_flow", "--runner", runner, "--params", R"({"depth": 10000})"}, options);
    ASSERT_FALSE(too_deep.timed_out) << describe(too_deep);
    EXPECT_EQ(too_deep.exit_code, 1) << describe(too_deep);
    EXPECT_THAT(too_deep.out, HasSubstr("rh::UsageError: task 'nest' would be nested 10001 runs deep; runs nest at "
                                        "most 10000 deep\n"));
  }
}

}  // namespace
