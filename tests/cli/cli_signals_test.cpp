// Interrupts as a user's tools send them: copies of one signal are one interrupt, SIGINT,
// SIGTERM and SIGHUP mean the same, the flow ends Cancelled on every runner with messages
// said once, runs that do not stop are abandoned after the grace period, a second
// interrupt still leaves a complete report, and a million queued runs do not hold the host.
// The process timeouts are hang guards only.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <csignal>
#include <string>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr double kSignalHangGuard = 30;

ProcessStep signal_step(Stream stream, std::string marker, int signal, int copies = 1) {
  ProcessStep step;
  step.stream = stream;
  step.marker = std::move(marker);
  step.signal = signal;
  step.copies = copies;
  return step;
}

void expect_no_doubled_messages(const json& report) {
  for (const json& run : report.at("task_runs")) {
    const std::string message = run.at("state").at("message").get<std::string>();
    EXPECT_THAT(message, Not(HasSubstr("cancelled: the task run was cancelled"))) << run.dump();
  }
}

struct SignalCase {
  std::string runner;
  int signal;
  std::string label;
};

class CopiesOfOneSignal : public ::testing::TestWithParam<SignalCase> {};

// `timeout` sends the signal to the process, then to its group: two copies at once.
TEST_P(CopiesOfOneSignal, AreOneInterruptAndTheReportIsWritten) {
  const SignalCase& c = GetParam();
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kSignalHangGuard;
  // The sequential runner runs nap 0 inside the flow's first submit: the flow never says more.
  const std::string marker = c.runner == "sequential" ? "nap 0 running" : "SLEEPERS RUNNING";
  options.steps = {signal_step(Stream::out, marker, c.signal, 2)};
  std::vector<std::string> args = {"--plugin", kSleepers, "--flow",   "sleepers",
                                   "--runner", c.runner,  "--report", dir.file("r.json")};
  if (c.runner != "sequential") args.insert(args.end(), {"-w", "4"});
  const ProcessResult r = run_host(args, options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_THAT(r.err, Not(HasSubstr("second interrupt"))) << describe(r);
  const json report = parse_json_file(dir.file("r.json"));
  EXPECT_EQ(report.at("interrupted"), true);
  EXPECT_EQ(report.at("flow").at("state").at("name"), "Cancelled");
}

INSTANTIATE_TEST_SUITE_P(Signals, CopiesOfOneSignal,
                         ::testing::Values(SignalCase{"fiber", SIGINT, "fiber_SIGINT"},
                                           SignalCase{"tbb", SIGINT, "tbb_SIGINT"},
                                           SignalCase{"fiber", SIGTERM, "fiber_SIGTERM"},
                                           SignalCase{"fiber", SIGHUP, "fiber_SIGHUP"},
                                           SignalCase{"sequential", SIGTERM, "sequential_SIGTERM"}),
                         [](const auto& info) { return info.param.label; });

class FlowAfterInterrupt : public ::testing::TestWithParam<std::string> {};

TEST_P(FlowAfterInterrupt, EndsCancelledSayingWhyOnce) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kSignalHangGuard;
  const bool sequential = GetParam() == "sequential";
  options.steps = {signal_step(Stream::out, sequential ? "nap 0 running" : "SLEEPERS RUNNING", SIGINT)};
  const ProcessResult r = run_host(
      {"--plugin", kSleepers, "--flow", "sleepers", "--runner", GetParam(), "--report", dir.file("r.json")}, options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  const json report = parse_json_file(dir.file("r.json"));
  const json& flow = report.at("flow");
  EXPECT_EQ(flow.at("state").at("name"), "Cancelled");
  EXPECT_EQ(flow.at("state").at("message"), "The flow run was cancelled: the host was interrupted.");
  EXPECT_THAT(r.out, HasSubstr(") Cancelled: The flow run was cancelled: the host was interrupted.\n"));
  expect_no_doubled_messages(report);
  for (const json& run : report.at("task_runs")) {
    if (run.at("started") == true) {
      EXPECT_EQ(run.at("state").at("message"), "The task run was cancelled: the host was interrupted.") << run.dump();
    } else {
      EXPECT_EQ(run.at("state").at("message"), "The run never started: the host was interrupted.") << run.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Runners, FlowAfterInterrupt, ::testing::Values("sequential", "fiber", "tbb"),
                         [](const auto& info) { return info.param; });

// The stubborn task ignores cancellation: after the grace period the host abandons it and
// ends with everything reported.
TEST(CliGracePeriod, RunsThatDoNotStopAreAbandonedAfterIt) {
  for (const std::string runner : {"tbb", "fiber", "sequential"}) {
    SCOPED_TRACE(runner);
    TempDir dir;
    ProcessOptions options;
    options.timeout_seconds = kSignalHangGuard;
    options.steps = {signal_step(Stream::out, "stubborn running", SIGINT)};
    const ProcessResult r = run_host({"--plugin", kSleepers, "--flow", "stubborn_flow", "--runner", runner, "--grace",
                                      "0.5", "--report", dir.file("r.json")},
                                     options);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 130) << describe(r);
    EXPECT_THAT(r.err, Not(HasSubstr("second interrupt")));
    const json report = parse_json_file(dir.file("r.json"));
    ASSERT_EQ(report.at("task_runs").size(), 1u);
    const json& stubborn = report.at("task_runs").at(0);
    EXPECT_EQ(stubborn.at("state").at("name"), "Cancelled");
    EXPECT_EQ(stubborn.at("state").at("message"),
              "The run did not stop within the 0.5 s grace period after the interrupt.");
    EXPECT_EQ(report.at("flow").at("state").at("name"), "Cancelled");
  }
}

TEST(CliGracePeriod, SecondInterruptAfterTheWindowEndsAtOnceWithACompleteReport) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kSignalHangGuard;
  ProcessStep second = signal_step(Stream::err, "interrupted", SIGINT);
  second.action = [] { usleep(400 * 1000); };  // past the 250 ms in which copies are one signal
  options.steps = {signal_step(Stream::out, "stubborn running", SIGINT), second};
  const ProcessResult r = run_host({"--plugin", kSleepers, "--flow", "stubborn_flow", "--runner", "tbb", "--grace",
                                    "60", "--report", dir.file("r.json"), "--events", dir.file("e.jsonl")},
                                   options);
  ASSERT_EQ(r.steps_done, 2u) << describe(r);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("runner-host: second interrupt, exiting now\n"));
  const json report = parse_json_file(dir.file("r.json"));  // complete JSON, or this throws
  EXPECT_EQ(report.at("interrupted"), true);
  EXPECT_EQ(report.at("task_runs").at(0).at("state").at("message"),
            "The host was interrupted twice and abandoned the run.");
  for (const std::string& line : lines_of(read_file(dir.file("e.jsonl")))) {
    EXPECT_TRUE(json::accept(line)) << line;
  }
  std::size_t leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    leftovers += entry.path().filename().string().find(".tmp") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(leftovers, 0u);
}

TEST(CliGracePeriod, BadValuesAreRefused) {
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", kSleepers, "--grace", "-1"})),
            "runner-host: --grace must be a number of seconds from 0 to 3600, got -1");
  TempDir dir;
  write_file(dir.file("c.json"), R"({"plugins": [")" + kSleepers + R"("], "grace_seconds": "soon"})");
  EXPECT_THAT(expect_usage_error(run_host({"--config", dir.file("c.json")})),
              HasSubstr("grace_seconds: must be a number of seconds from 0 to 3600, got \"soon\""));
}

// A flow submitting a million runs: the interrupt stops its submissions (submit throws
// CancelledError) and ends the queued runs itself, so the host ends promptly.
TEST(CliInterruptAtScale, AMillionQueuedRunsDoNotHoldTheHost) {
  for (const std::string runner : {"tbb", "fiber"}) {
    SCOPED_TRACE(runner);
    TempDir dir;
    ProcessOptions options;
    options.timeout_seconds = 120;
    options.steps = {signal_step(Stream::out, "queued 100000", SIGTERM)};
    const ProcessResult r = run_host({"--plugin", kHazards, "--flow", "many", "--runner", runner, "--params",
                                      R"({"runs": 1000000, "report_every": 100000})"},
                                     options);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 130) << describe(r);
    EXPECT_THAT(r.out, HasSubstr("Cancelled: The flow run was cancelled: the host was interrupted.\n"));
    // Submissions stopped at the interrupt: far fewer than a million runs exist.
    EXPECT_THAT(r.out, Not(HasSubstr("queued 1000000")));
    EXPECT_THAT(r.err, Not(HasSubstr("grace period")));
  }
}

}  // namespace
