// Usage and plugin errors: each one exits 2 with nothing on stdout and one clear line on
// stderr that names what is wrong (the file, the flag, the task).
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(CliErrors, NoPlugin) {
  const std::string line = expect_usage_error(run_host({}));
  EXPECT_THAT(line, HasSubstr("no task library given"));
  EXPECT_THAT(line, HasSubstr("--plugin"));
}

TEST(CliErrors, NoPluginWithOtherFlags) {
  const std::string line = expect_usage_error(run_host({"--flow", "pipeline", "--runner", "sequential"}));
  EXPECT_THAT(line, HasSubstr("--plugin"));
}

TEST(CliErrors, ListWithoutPlugin) {
  const std::string line = expect_usage_error(run_host({"list"}));
  EXPECT_THAT(line, HasSubstr("--plugin"));
}

TEST(CliErrors, MissingPluginFile) {
  TempDir dir;
  const std::string path = dir.file("libmissing.so");
  const std::string line = expect_usage_error(run_host({"--plugin", path}));
  EXPECT_THAT(line, HasSubstr("'" + path + "'"));
  EXPECT_THAT(line, HasSubstr("not found"));
}

TEST(CliErrors, MissingPluginFileInList) {
  TempDir dir;
  const std::string path = dir.file("libmissing.so");
  const std::string line = expect_usage_error(run_host({"list", "--plugin", path}));
  EXPECT_THAT(line, HasSubstr("'" + path + "'"));
}

TEST(CliErrors, FileThatIsNotASharedLibrary) {
  TempDir dir;
  const std::string path = dir.file("libfake.so");
  write_file(path, "this is text, not an ELF shared object\n");
  const std::string line = expect_usage_error(run_host({"--plugin", path}));
  EXPECT_THAT(line, HasSubstr("'" + path + "'"));
  EXPECT_THAT(line, HasSubstr("is not an ELF shared library (no ELF header)"));
}

// What the host's own ELF checks let through but dlopen refuses is said in the dynamic
// loader's words: here an ELF header of an unknown version.
TEST(CliErrors, NotASharedLibraryReasonIsTheLoadersOwn) {
  TempDir dir;
  const std::string path = dir.file("libfake.so");
  std::string content = read_file(kTasks);
  content[6] = 0;  // e_ident[EI_VERSION]: not EV_CURRENT
  write_file(path, content);
  const std::string line = expect_usage_error(run_host({"--plugin", path}));
  EXPECT_THAT(line, HasSubstr("'" + path + "': not a loadable shared library: "));
  EXPECT_THAT(line, HasSubstr("ELF file version"));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("Bad file descriptor")));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("):")));
}

TEST(CliErrors, DirectoryAsPlugin) {
  TempDir dir;
  const std::string line = expect_usage_error(run_host({"--plugin", dir.path().string()}));
  EXPECT_THAT(line, HasSubstr("'" + dir.path().string() + "'"));
  EXPECT_THAT(line, HasSubstr("directory"));
}

TEST(CliErrors, RunnerPluginGivenAsTaskLibrary) {
  const std::string runner = std::string(RH_RUNNER_DIR) + "/librh_runner_sequential.so";
  const std::string line = expect_usage_error(run_host({"--plugin", runner}));
  EXPECT_THAT(line, HasSubstr("'" + runner + "'"));
  EXPECT_THAT(line, HasSubstr("not a task library"));
}

TEST(CliErrors, UnknownTaskListsKnownTasks) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--task", "nope"}));
  EXPECT_THAT(line, HasSubstr("unknown task 'nope'"));
  EXPECT_THAT(line, HasSubstr("add, boom"));
}

TEST(CliErrors, FlowGivenAsTask) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--task", "pipeline"}));
  EXPECT_THAT(line, HasSubstr("'pipeline'"));
  EXPECT_THAT(line, HasSubstr("--flow"));
}

TEST(CliErrors, UnknownFlowListsKnownFlows) {
  const std::string line = expect_usage_error(run_host({"--plugin", kTasks, "--flow", "nope"}));
  EXPECT_THAT(line, HasSubstr("unknown flow 'nope'"));
  EXPECT_THAT(line, HasSubstr("sum"));
  EXPECT_THAT(line, HasSubstr("echo_flow"));
}

TEST(CliErrors, SeveralFlowsAndNoFlowFlag) {
  const std::string line = expect_usage_error(run_host({"--plugin", kTasks}));
  EXPECT_THAT(line, HasSubstr("several flows"));
  EXPECT_THAT(line, HasSubstr("sum, echo_flow, chatty_flow, misnamed_flow, traced_flow"));
  EXPECT_THAT(line, HasSubstr("--flow"));
}

TEST(CliErrors, NoFlowAndNoTaskFlag) {
  const std::string line = expect_usage_error(run_host({"--plugin", kNoFlow}));
  EXPECT_THAT(line, HasSubstr("no flow"));
  EXPECT_THAT(line, HasSubstr("--task"));
  EXPECT_THAT(line, HasSubstr("one, two"));
}

TEST(CliErrors, DuplicateTaskAcrossLibraries) {
  // demo and cli_tasks both define "add".
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--plugin", kTasks, "--task", "add"}));
  EXPECT_THAT(line, HasSubstr("'add'"));
  EXPECT_THAT(line, HasSubstr(kTasks));
}

TEST(CliErrors, MalformedParamsJson) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--task", "add", "--params", "{bad"}));
  EXPECT_THAT(line, StartsWith("runner-host: --params is not valid JSON"));
}

TEST(CliErrors, ParamsNotAnObject) {
  for (const char* params : {"[1,2]", "3", "\"text\"", "null"}) {
    const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--task", "add", "--params", params}));
    EXPECT_THAT(line, HasSubstr("--params must be a JSON object")) << params;
  }
}

TEST(CliErrors, FlowAndTaskTogether) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--flow", "pipeline", "--task", "add"}));
  EXPECT_THAT(line, HasSubstr("--flow"));
  EXPECT_THAT(line, HasSubstr("--task"));
}

TEST(CliErrors, UnknownRunnerListsAvailable) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--runner", "warp-drive"}));
  EXPECT_THAT(line, HasSubstr("unknown runner 'warp-drive'"));
  EXPECT_THAT(line, HasSubstr("fiber"));
  EXPECT_THAT(line, HasSubstr("sequential"));
  EXPECT_THAT(line, HasSubstr("tbb"));
}

TEST(CliErrors, RunnerPathThatDoesNotExist) {
  TempDir dir;
  const std::string path = dir.file("librh_runner_none.so");
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--runner", path}));
  EXPECT_THAT(line, HasSubstr("'" + path + "'"));
}

TEST(CliErrors, RunnerOptionTheRunnerDoesNotKnow) {
  // The sequential runner has no workers to size.
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--runner", "sequential", "-w", "2"}));
  EXPECT_THAT(line, HasSubstr("sequential"));
  EXPECT_THAT(line, HasSubstr("max_workers"));
}

// CLI11 adds a second line pointing at --help; the message itself is the first line.
TEST(CliErrors, UnknownFlag) {
  const ProcessResult r = run_host({"--plugin", kDemo, "--bogus"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_GE(lines.size(), 1u) << describe(r);
  ASSERT_LE(lines.size(), 2u) << describe(r);
  EXPECT_THAT(lines[0], StartsWith("runner-host: "));
  EXPECT_THAT(lines[0], HasSubstr("--bogus"));
  if (lines.size() == 2) {
    EXPECT_THAT(lines[1], HasSubstr("--help"));
  }
}

TEST(CliErrors, FlagMissingItsValue) {
  const ProcessResult r = run_host({"--plugin"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  ASSERT_FALSE(lines_of(r.err).empty());
  EXPECT_THAT(lines_of(r.err)[0], HasSubstr("--plugin"));
}

TEST(CliErrors, MaxWorkersZeroOrNegative) {
  for (const char* value : {"0", "-3"}) {
    const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--max-workers", value}));
    EXPECT_THAT(line, HasSubstr("--max-workers"));
    EXPECT_THAT(line, HasSubstr(value));
  }
}

TEST(CliErrors, MaxWorkersNotANumber) {
  const ProcessResult r = run_host({"--plugin", kDemo, "--max-workers", "lots"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(lines_of(r.err).empty());
  EXPECT_THAT(lines_of(r.err)[0], HasSubstr("lots"));
}

TEST(CliErrors, BogusLogLevel) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--log-level", "bogus"}));
  EXPECT_THAT(line, HasSubstr("log level 'bogus'"));
  EXPECT_THAT(line, HasSubstr("trace, debug, info, warn, error, critical, off"));
}

TEST(CliErrors, BogusLogFormat) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--log-format", "bogus"}));
  EXPECT_THAT(line, HasSubstr("log format 'bogus'"));
  EXPECT_THAT(line, HasSubstr("text, json"));
}

TEST(CliErrors, UnwritableReportPathExitsTwoNamingThePath) {
  TempDir dir;
  const std::string path = dir.file("no-such-dir/report.json");
  const ProcessResult r =
      run_host({"--plugin", kDemo, "--task", "add", "--params", R"({"a":1,"b":2})", "--report", path});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_FALSE(lines.empty()) << describe(r);
  EXPECT_THAT(lines.back(), StartsWith("runner-host: "));
  EXPECT_THAT(lines.back(), HasSubstr("report"));
  EXPECT_THAT(lines.back(), HasSubstr("'" + path + "'"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

// An unwritable --report path is refused before anything runs, like --events.
TEST(CliErrors, UnwritableReportPathIsRefusedBeforeRunning) {
  TempDir dir;
  const std::string path = dir.file("no-such-dir/report.json");
  const std::string line = expect_usage_error(
      run_host({"--plugin", kDemo, "--task", "add", "--params", R"({"a":1,"b":2})", "--report", path}));
  EXPECT_THAT(line, HasSubstr("'" + path + "'"));
}

TEST(CliErrors, UnwritableEventsPath) {
  TempDir dir;
  const std::string path = dir.file("no-such-dir/events.jsonl");
  const std::string line = expect_usage_error(run_host({"--plugin", kDemo, "--events", path}));
  EXPECT_THAT(line, HasSubstr("events file '" + path + "'"));
  EXPECT_THAT(line, HasSubstr("No such file or directory"));
}

TEST(CliErrors, MissingConfigFile) {
  TempDir dir;
  const std::string path = dir.file("missing.json");
  const std::string line = expect_usage_error(run_host({"--config", path}));
  EXPECT_THAT(line, HasSubstr(path));
  EXPECT_THAT(line, HasSubstr("cannot open"));
}

}  // namespace
