// A flow far past the number of runs the host keeps in memory (RunScope::kRetainedRuns):
// the finished runs it let go of still appear in the report exactly once, and in the
// table's counts, and the ones that did not complete are still listed.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;

class CliScale : public ::testing::TestWithParam<const char*> {};

TEST_P(CliScale, ReportAndTableOfAFlowPastTheRetentionBoundShowEveryRun) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "150,000 runs and a 100 MB report take minutes under TSan (docs/sanitizers.md)";
#endif
  constexpr long kRuns = 150000;
  constexpr long kFailEvery = 1000;
  TempDir dir;
  const std::string report = dir.file("report.json");
  const json params = {{"runs", kRuns}, {"fail_every", kFailEvery}, {"report_every", 10 * kRuns}};
  ProcessOptions options;
  options.timeout_seconds = 120;
  ProcessResult r = run_host(
      {"--plugin", kHazards, "--flow", "many", "--runner", GetParam(), "--params", params.dump(), "--report", report},
      options);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // some runs failed
  constexpr long kFailed = kRuns / kFailEvery;
  EXPECT_THAT(r.out, HasSubstr(std::to_string(kRuns) + " task runs: " + std::to_string(kRuns - kFailed) +
                               " Completed, " + std::to_string(kFailed) + " Failed (showing 50 that did not complete"));
  EXPECT_THAT(r.out, HasSubstr("fails"));  // the listed rows are the failed runs

  const json doc = parse_json_file(report);
  ASSERT_EQ(doc.at("task_runs").size(), static_cast<std::size_t>(kRuns));
  std::set<std::uint64_t> ids;
  long failed = 0;
  for (const json& run : doc.at("task_runs")) {
    ids.insert(run.at("id").get<std::uint64_t>());
    if (run.at("state").at("name") == "Failed") {
      ++failed;
      EXPECT_EQ(run.at("task"), "fails");
      EXPECT_EQ(run.at("error").at("message"), "fails on purpose");
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kRuns)) << "a run appears twice";
  EXPECT_EQ(failed, kFailed);
  EXPECT_EQ(doc.at("summary").at("task_runs"), kRuns);
  EXPECT_EQ(doc.at("summary").at("by_state"), json({{"Completed", kRuns - kFailed}, {"Failed", kFailed}}));
  EXPECT_EQ(doc.at("summary").at("never_started"), json::array());
  EXPECT_EQ(doc.at("flow").at("result"), kRuns);
}

INSTANTIATE_TEST_SUITE_P(Runners, CliScale, ::testing::Values("sequential", "tbb"));

}  // namespace
