// SIGINT: the host stops starting runs, cancels the sleeping ones, reports which runs never
// started, and exits 130. A second SIGINT exits at once. The timeouts are hang guards only.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <set>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;

constexpr double kInterruptHangGuard = 20;

ProcessStep signal_on(Stream stream, std::string marker, int signal) {
  ProcessStep step;
  step.stream = stream;
  step.marker = std::move(marker);
  step.signal = signal;
  return step;
}

struct InterruptCase {
  std::string runner;
  std::vector<std::string> extra_args;
  std::string marker;  // printed on stdout once the sleepers run
  std::size_t naps_started;
  std::size_t afters;  // runs of `after` that exist: submitted before the interrupt
};

void PrintTo(const InterruptCase& c, std::ostream* os) { *os << c.runner; }

class InterruptOnRunner : public ::testing::TestWithParam<InterruptCase> {};

TEST_P(InterruptOnRunner, ExitsWith130AndReportsRunsThatNeverStarted) {
  const InterruptCase& c = GetParam();
  TempDir dir;
  std::vector<std::string> args = {"--plugin", kSleepers, "--flow",   "sleepers",
                                   "--runner", c.runner,  "--report", dir.file("r.json")};
  args.insert(args.end(), c.extra_args.begin(), c.extra_args.end());
  ProcessOptions options;
  options.timeout_seconds = kInterruptHangGuard;
  options.steps = {signal_on(Stream::out, c.marker, SIGINT)};
  const ProcessResult r = run_host(args, options);

  ASSERT_EQ(r.steps_done, 1u) << describe(r);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("interrupted"));

  const json report = parse_json_file(dir.file("r.json"));
  EXPECT_EQ(report.at("interrupted"), true);
  EXPECT_EQ(report.at("runner"), c.runner);

  std::set<std::uint64_t> never_started_ids;
  std::size_t naps_started = 0;
  std::size_t afters = 0;
  for (const json& run : report.at("task_runs")) {
    SCOPED_TRACE(run.dump());
    EXPECT_NE(run.at("state").at("type"), "COMPLETED");
    if (run.at("started") == false) {
      never_started_ids.insert(run.at("id").get<std::uint64_t>());
      EXPECT_EQ(run.at("state").at("name"), "Cancelled");
      EXPECT_EQ(run.at("run_count"), 0);
      EXPECT_TRUE(run.at("start_time").is_null());
      EXPECT_EQ(run.at("states").back(), "Cancelled");
      EXPECT_EQ(std::count(run.at("states").begin(), run.at("states").end(), "Running"), 0);
    } else {
      EXPECT_EQ(run.at("task"), "nap");
      EXPECT_EQ(run.at("state").at("name"), "Cancelled");
      ++naps_started;
    }
    if (run.at("task") == "after") {
      ++afters;
      EXPECT_EQ(run.at("started"), false);
    }
  }
  EXPECT_EQ(afters, c.afters);
  EXPECT_EQ(naps_started, c.naps_started);
  std::set<std::uint64_t> listed;
  for (const json& id : report.at("summary").at("never_started")) listed.insert(id.get<std::uint64_t>());
  EXPECT_EQ(listed, never_started_ids);
  EXPECT_EQ(report.at("summary").at("by_state").at("Cancelled"), report.at("task_runs").size());
}

INSTANTIATE_TEST_SUITE_P(Runners, InterruptOnRunner,
                         ::testing::Values(InterruptCase{"tbb", {"--max-workers", "4"}, "SLEEPERS RUNNING", 2, 3},
                                           InterruptCase{"fiber", {"--max-workers", "2"}, "SLEEPERS RUNNING", 2, 3},
                                           // Three: the flow's thread sleeps while it watches the naps start.
                                           InterruptCase{"process", {"--max-workers", "3"}, "SLEEPERS RUNNING", 2, 3},
                                           // The sequential runner runs nap 0 inside the flow's submit; once
                                           // interrupted, the flow's next submit throws CancelledError, so
                                           // nap 1 and the waiters never exist.
                                           InterruptCase{"sequential", {}, "nap 0 running", 1, 0}),
                         [](const auto& info) { return info.param.runner; });

TEST(CliInterrupt, SigtermAlsoExits130) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kInterruptHangGuard;
  options.steps = {signal_on(Stream::out, "SLEEPERS RUNNING", SIGTERM)};
  const ProcessResult r = run_host(
      {"--plugin", kSleepers, "--flow", "sleepers", "--runner", "fiber", "--report", dir.file("r.json")}, options);
  ASSERT_EQ(r.steps_done, 1u) << describe(r);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("interrupted"), true);
}

TEST(CliInterrupt, TablePrintedAfterInterrupt) {
  ProcessOptions options;
  options.timeout_seconds = kInterruptHangGuard;
  options.steps = {signal_on(Stream::out, "SLEEPERS RUNNING", SIGINT)};
  const ProcessResult r =
      run_host({"--plugin", kSleepers, "--flow", "sleepers", "--runner", "tbb", "-w", "4"}, options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("TASK"));
  EXPECT_THAT(r.out, HasSubstr("5 task runs: 5 Cancelled"));
  EXPECT_THAT(r.out, HasSubstr("flow sleepers ("));
}

TEST(CliInterrupt, SecondInterruptExitsAtOnce) {
  // The stubborn task ignores cancellation, so the first SIGINT cannot end the host within
  // the (long) grace period; the second one, sent once the host said it was interrupted and
  // past the window in which copies count as one, must.
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kInterruptHangGuard;
  ProcessStep second = signal_on(Stream::err, "interrupted", SIGINT);
  second.action = [] { usleep(400 * 1000); };
  options.steps = {signal_on(Stream::out, "stubborn running", SIGINT), second};
  const ProcessResult r = run_host({"--plugin", kSleepers, "--flow", "stubborn_flow", "--runner", "tbb", "--grace",
                                    "60", "--report", dir.file("r.json")},
                                   options);
  ASSERT_EQ(r.steps_done, 2u) << describe(r);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("runner-host: second interrupt, exiting now\n"));
  // It left at once, and still wrote the report of what it knew.
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("interrupted"), true);
}

}  // namespace
