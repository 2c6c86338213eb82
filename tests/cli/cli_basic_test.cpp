// runner-host's ordinary runs: the demo flow on every runner, one task, choosing a flow,
// list, runners, --version and --help.
#include "cli_support.hpp"

#include <runner_host/abi.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

class DemoFlowOnRunner : public ::testing::TestWithParam<std::string> {};

TEST_P(DemoFlowOnRunner, PrintsTableAndFlowLineAndExitsOne) {
  TempDir dir;
  const ProcessResult r = run_host({"--plugin", kDemo, "--runner", GetParam(), "--report", dir.file("report.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << describe(r);

  EXPECT_EQ(words_of(lines[0]), (std::vector<std::string>{"TASK", "RUN", "STATE", "ATTEMPTS", "DURATION"}));
  const char* tasks[] = {"add", "add", "boom"};
  const char* states[] = {"Completed", "Completed", "Failed"};
  for (int i = 0; i < 3; ++i) {
    const std::vector<std::string> row = words_of(lines[1 + i]);
    ASSERT_GE(row.size(), 5u) << lines[1 + i];
    EXPECT_EQ(row[0], tasks[i]) << lines[1 + i];
    EXPECT_THAT(row[1], StartsWith(std::string(tasks[i]) + "-")) << lines[1 + i];
    EXPECT_EQ(row[2], states[i]) << lines[1 + i];
    EXPECT_EQ(row[3], "1") << lines[1 + i];
  }
  EXPECT_EQ(lines[4], "3 task runs: 2 Completed, 1 Failed");
  EXPECT_THAT(lines[5], StartsWith("flow pipeline (pipeline-"));
  EXPECT_THAT(lines[5], HasSubstr(") Completed: {\"b\":13,\"c_state\":\"Failed\"}"));

  EXPECT_EQ(parse_json_file(dir.file("report.json")).at("runner"), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Runners, DemoFlowOnRunner, ::testing::Values("sequential", "fiber", "tbb"),
                         [](const auto& info) { return info.param; });

TEST(CliBasic, DefaultRunnerIsTbb) {
  TempDir dir;
  const ProcessResult r = run_host({"--plugin", kDemo, "--report", dir.file("report.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("report.json")).at("runner"), "tbb");
}

class TaskOnRunner : public ::testing::TestWithParam<std::string> {};

TEST_P(TaskOnRunner, PrintsTheResultAndExitsZero) {
  const ProcessResult r =
      run_host({"--plugin", kDemo, "--runner", GetParam(), "--task", "add", "--params", R"({"a":1,"b":2})"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "3\n") << describe(r);
  EXPECT_EQ(r.err, "") << describe(r);
}

INSTANTIATE_TEST_SUITE_P(Runners, TaskOnRunner, ::testing::Values("sequential", "fiber", "tbb"),
                         [](const auto& info) { return info.param; });

TEST(CliBasic, TaskWithStructuredResultPrintsJson) {
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "echo", "--params", R"({"x":[1,2],"y":"z"})"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(lines_of(r.out).size(), 1u) << describe(r);
  EXPECT_EQ(json::parse(r.out), (json{{"x", {1, 2}}, {"y", "z"}})) << describe(r);
}

TEST(CliBasic, FailingTaskPrintsOneErrorLineNamingRunAndError) {
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "kaput"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  std::vector<std::string> errors;
  for (const std::string& line : lines_of(r.err)) {
    if (line.rfind("runner-host:", 0) == 0) errors.push_back(line);
  }
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  EXPECT_THAT(errors[0], StartsWith("runner-host: task run 'kaput-"));
  EXPECT_THAT(errors[0], HasSubstr("Failed"));
  EXPECT_THAT(errors[0], HasSubstr("std::runtime_error: kaput on purpose"));
}

TEST(CliBasic, FailingTaskWithLoggingOffPrintsExactlyOneLine) {
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "kaput", "--log-level", "off"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_THAT(lines[0], StartsWith("runner-host: task run 'kaput-"));
  EXPECT_THAT(lines[0], HasSubstr("kaput on purpose"));
}

TEST(CliBasic, FlowFlagPicksOneOfSeveralFlows) {
  const ProcessResult sum = run_host({"--plugin", kTasks, "--flow", "sum", "--params", R"({"a":2,"b":5})"});
  EXPECT_EQ(sum.exit_code, 0) << describe(sum);
  const std::vector<std::string> sum_lines = lines_of(sum.out);
  ASSERT_FALSE(sum_lines.empty()) << describe(sum);
  EXPECT_THAT(sum_lines.back(), StartsWith("flow sum (sum-"));
  EXPECT_THAT(sum_lines.back(), HasSubstr(R"(Completed: {"flow":"sum","sum":7})"));

  const ProcessResult echo = run_host({"--plugin", kTasks, "--flow", "echo_flow", "--params", R"({"k":"v"})"});
  EXPECT_EQ(echo.exit_code, 0) << describe(echo);
  const std::vector<std::string> echo_lines = lines_of(echo.out);
  ASSERT_FALSE(echo_lines.empty()) << describe(echo);
  EXPECT_THAT(echo_lines.back(), StartsWith("flow echo_flow (echo_flow-"));
  EXPECT_THAT(echo_lines.back(), HasSubstr(R"(Completed: {"echoed":{"k":"v"},"flow":"echo_flow"})"));
}

TEST(CliBasic, ListShowsTasksAndFlowsWithDescriptionsAndOptions) {
  const ProcessResult r = run_host({"list", "--plugin", kTasks});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "cli_tasks 2.3.4 (" + kTasks + ")");
  EXPECT_THAT(r.out, HasSubstr("  flows:\n"));
  EXPECT_THAT(r.out, HasSubstr("  tasks:\n"));
  EXPECT_THAT(r.out, HasSubstr("    sum - adds two numbers in a task\n"));
  EXPECT_THAT(r.out, HasSubstr("    echo_flow - echoes its parameters through a task\n"));
  EXPECT_THAT(r.out, HasSubstr("    kaput - always fails\n"));
  EXPECT_THAT(r.out, HasSubstr("    echo\n"));
  // The options line follows its task.
  const std::string add = "    add - adds a and b\n      options: ";
  const std::size_t at = r.out.find(add);
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string options_text = r.out.substr(at + add.size(), r.out.find('\n', at + add.size()) - at - add.size());
  EXPECT_EQ(json::parse(options_text), (json{{"retries", 3}, {"tags", {"math"}}})) << options_text;
  // Flows are listed before tasks.
  EXPECT_LT(r.out.find("  flows:"), r.out.find("  tasks:"));
}

TEST(CliBasic, ListHelpShowsItsOptionsAndExitCodes) {
  const ProcessResult r = run_host({"list", "--help"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* part :
       {"-p,--plugin", "-c,--config", "-r,--runner", "--allow-untrusted-plugins", "Exit status: 0 listed, 2 "}) {
    EXPECT_THAT(r.out, HasSubstr(part)) << r.out;
  }
  // Not the run's exit codes.
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("130 interrupted"))) << r.out;
}

TEST(CliBasic, ListWithNoLibraryNamesBothWaysToGiveOne) {
  const std::string line = expect_usage_error(run_host({"list"}));
  EXPECT_EQ(line, "runner-host: list needs a task library: --plugin FILE, or --config FILE with \"plugins\"");
}

TEST(CliBasic, ListTakesItsLibrariesFromAConfigFile) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", {kNoFlow}}}.dump());
  const ProcessResult r = run_host({"list", "--config", dir.file("c.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("cli_noflow 0.1.0 ("));
}

TEST(CliBasic, ListTwoLibraries) {
  const ProcessResult r = run_host({"list", "--plugin", kDemo, "--plugin", kNoFlow});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // Each library with the file it was loaded from (its real path), then the runner a run
  // would use and its file.
  const std::string demo_file = std::filesystem::canonical(kDemo).string();
  EXPECT_THAT(r.out, HasSubstr("demo 1.0.0 (" + kDemo + ")\n  file: " + demo_file +
                               "\n  flows:\n    pipeline\n  tasks:\n    add - adds a and b\n"));
  EXPECT_THAT(r.out,
              HasSubstr("cli_noflow 0.1.0 (" + kNoFlow + ")\n  file: " + kNoFlow + "\n  tasks:\n    one\n    two\n"));
  EXPECT_THAT(
      r.out, ::testing::EndsWith(
                 "\nrunner tbb: " +
                 std::filesystem::canonical(std::string(RH_BIN_DIR) + "/runners/librh_runner_tbb.so").string() + "\n"));
}

TEST(CliBasic, RunnersListsTheBuiltRunners) {
  const ProcessResult r = run_host({"runners"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = lines_of(r.out);
  for (const char* name : {"sequential", "fiber", "tbb"}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), name), lines.end()) << name << " missing from\n" << r.out;
  }
}

TEST(CliBasic, VersionNamesHostAndAbi) {
  const ProcessResult r = run_host({"--version"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("runner-host"));
  EXPECT_THAT(r.out,
              HasSubstr("ABI " + std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR)));
  EXPECT_THAT(r.out, HasSubstr("ABI 1.3"));
  EXPECT_EQ(r.err, "");
}

TEST(CliBasic, HelpDescribesFlagsAndExitStatus) {
  const ProcessResult r = run_host({"--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  for (const char* text : {"Usage", "--plugin", "--config", "--flow", "--task", "--params", "--runner", "--max-workers",
                           "--report", "--events", "--log-level", "--log-format", "list", "runners", "Exit status"}) {
    EXPECT_THAT(r.out, HasSubstr(text));
  }
}

TEST(CliBasic, RunsWithStdinClosed) {
  ProcessOptions options;
  options.close_stdin = true;
  const ProcessResult r = run_host({"--plugin", kDemo, "--task", "add", "--params", R"({"a":20,"b":22})"}, options);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "42\n");
}

}  // namespace
