// --config FILE: the issue's example runs, relative paths follow the file, flags override
// the file, per-task overrides change behaviour, and every bad key is refused by name.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

std::string last_line(const std::string& text) {
  const std::vector<std::string> lines = lines_of(text);
  return lines.empty() ? std::string() : lines.back();
}

TEST(CliConfig, IssueExampleRuns) {
  TempDir dir;
  fs::create_symlink(kDemo, dir.file("libdemo.so"));
  const std::string config = dir.file("pipeline.json");
  write_file(config, R"({
  "plugins": ["./libdemo.so"],
  "flow": "pipeline",
  "runner": { "name": "tbb", "max_workers": 4 }
})");
  ProcessOptions options;
  options.cwd = "/";  // not the config's directory
  const ProcessResult r = run_host({"--config", config, "--report", dir.file("report.json")}, options);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.out, StartsWith("TASK"));
  EXPECT_THAT(last_line(r.out), StartsWith("flow pipeline (pipeline-"));
  EXPECT_THAT(last_line(r.out), HasSubstr(R"(Completed: {"b":13,"c_state":"Failed"})"));
  EXPECT_EQ(parse_json_file(dir.file("report.json")).at("runner"), "tbb");
}

TEST(CliConfig, RelativePathsAreResolvedAgainstTheConfigDirectory) {
  TempDir dir;
  fs::create_directories(dir.path() / "plugins");
  fs::create_symlink(kDemo, dir.path() / "plugins" / "libdemo.so");
  write_file(dir.file("conf/sub/run.json"),
             R"({"plugins": ["../../plugins/libdemo.so"], "report": "report.json", "events": "events.jsonl"})");
  ProcessOptions options;
  options.cwd = (dir.path() / "conf").string();  // the config path is relative to this, the plugin is not
  const ProcessResult r = run_host({"--config", "sub/run.json"}, options);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(last_line(r.out), StartsWith("flow pipeline ("));
  EXPECT_TRUE(fs::exists(dir.path() / "conf" / "sub" / "report.json"));
  EXPECT_TRUE(fs::exists(dir.path() / "conf" / "sub" / "events.jsonl"));
  EXPECT_FALSE(fs::exists(dir.path() / "conf" / "report.json"));
}

TEST(CliConfig, RunnerFlagOverridesTheFile) {
  TempDir dir;
  write_file(dir.file("c.json"),
             json{{"plugins", json::array({kDemo})}, {"runner", {{"name", "tbb"}, {"max_workers", 4}}}}.dump());
  const ProcessResult r =
      run_host({"--config", dir.file("c.json"), "--runner", "sequential", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("runner"), "sequential");
}

TEST(CliConfig, RunnerFlagDropsTheFilesRunnerOptions) {
  // The file's options belong to its runner: alone they are refused, under another runner
  // chosen by flag they are not passed on.
  TempDir dir;
  write_file(dir.file("c.json"),
             json{{"plugins", json::array({kDemo})}, {"runner", {{"name", "tbb"}, {"bogus", 1}}}}.dump());
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_THAT(line, HasSubstr("bogus"));

  const ProcessResult r =
      run_host({"--config", dir.file("c.json"), "--runner", "fiber", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("runner"), "fiber");
}

TEST(CliConfig, RunnerFlagNamingTheSameRunnerKeepsItsOptions) {
  TempDir dir;
  write_file(dir.file("c.json"),
             json{{"plugins", json::array({kDemo})}, {"runner", {{"name", "tbb"}, {"bogus", 1}}}}.dump());
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json"), "--runner", "tbb"}));
  EXPECT_THAT(line, HasSubstr("bogus"));
}

TEST(CliConfig, MaxWorkersFlagOverridesTheFile) {
  TempDir dir;
  write_file(dir.file("c.json"),
             json{{"plugins", json::array({kDemo})}, {"runner", {{"name", "fiber"}, {"max_workers", 4}}}}.dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "-w", "1", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("runner"), "fiber");
}

TEST(CliConfig, FlowFlagOverridesTheFile) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", json::array({kTasks})}, {"flow", "sum"}}.dump());
  const ProcessResult from_file = run_host({"--config", dir.file("c.json")});
  ASSERT_EQ(from_file.exit_code, 0) << describe(from_file);
  EXPECT_THAT(last_line(from_file.out), StartsWith("flow sum ("));

  const ProcessResult from_flag = run_host({"--config", dir.file("c.json"), "--flow", "echo_flow"});
  ASSERT_EQ(from_flag.exit_code, 0) << describe(from_flag);
  EXPECT_THAT(last_line(from_flag.out), StartsWith("flow echo_flow ("));
}

TEST(CliConfig, TaskFlagOverridesTheFilesFlow) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", json::array({kTasks})}, {"flow", "sum"}}.dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "--task", "add", "--params", R"({"a":4,"b":5})"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "9\n");
}

TEST(CliConfig, ParamsFlagReplacesTheFilesParams) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", json::array({kTasks})},
                                      {"flow", "echo_flow"},
                                      {"params", {{"from", "file"}, {"only_in_file", 1}}}}
                                     .dump());
  const ProcessResult from_file = run_host({"--config", dir.file("c.json"), "--report", dir.file("a.json")});
  ASSERT_EQ(from_file.exit_code, 0) << describe(from_file);
  EXPECT_EQ(parse_json_file(dir.file("a.json")).at("flow").at("result").at("echoed"),
            (json{{"from", "file"}, {"only_in_file", 1}}));

  const ProcessResult from_flag =
      run_host({"--config", dir.file("c.json"), "--params", R"({"from":"flag"})", "--report", dir.file("b.json")});
  ASSERT_EQ(from_flag.exit_code, 0) << describe(from_flag);
  EXPECT_EQ(parse_json_file(dir.file("b.json")).at("flow").at("result").at("echoed"), (json{{"from", "flag"}}));
}

TEST(CliConfig, PluginFlagReplacesTheFilesPlugins) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", json::array({dir.file("libmissing.so")})}, {"task", "one"}}.dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "--plugin", kNoFlow});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "1\n");
}

TEST(CliConfig, TaskOverrideAddsRetriesSoAFlakyTaskCompletes) {
  TempDir dir;
  write_file(
      dir.file("with.json"),
      json{{"plugins", json::array({kTasks})}, {"task", "flaky"}, {"tasks", {{"flaky", {{"retries", 2}}}}}}.dump());
  const ProcessResult with = run_host({"--config", dir.file("with.json"), "--report", dir.file("with-report.json")});
  EXPECT_EQ(with.exit_code, 0) << describe(with);
  EXPECT_EQ(json::parse(with.out), (json{{"attempt", 2}})) << describe(with);
  const json with_run = parse_json_file(dir.file("with-report.json")).at("task_runs").at(0);
  EXPECT_EQ(with_run.at("state").at("name"), "Completed");
  EXPECT_EQ(with_run.at("run_count"), 2);

  write_file(dir.file("without.json"), json{{"plugins", json::array({kTasks})}, {"task", "flaky"}}.dump());
  const ProcessResult without =
      run_host({"--config", dir.file("without.json"), "--report", dir.file("without-report.json")});
  EXPECT_EQ(without.exit_code, 1) << describe(without);
  EXPECT_THAT(without.err, HasSubstr("flaky first attempt"));
  const json without_run = parse_json_file(dir.file("without-report.json")).at("task_runs").at(0);
  EXPECT_EQ(without_run.at("state").at("name"), "Failed");
  EXPECT_EQ(without_run.at("run_count"), 1);
}

TEST(CliConfig, LogSettingsFromTheFile) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", json::array({kTasks})},
                                      {"flow", "chatty_flow"},
                                      {"log", {{"level", "error"}, {"format", "json"}}}}
                                     .dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json")});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("chatty-error-line"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("chatty-warn-line")));
  for (const std::string& line : lines_of(r.err)) EXPECT_TRUE(json::accept(line)) << line;

  // A flag overrides the file's level.
  const ProcessResult warn = run_host({"--config", dir.file("c.json"), "--log-level", "warn"});
  EXPECT_THAT(warn.err, HasSubstr("chatty-warn-line"));
}

// ------------------------------------------------------------------ errors

struct ConfigErrorCase {
  const char* name;
  json config;                        // "PLUGIN" strings are replaced by the demo library's path
  std::vector<std::string> expected;  // parts of the message besides the file's path
};

void PrintTo(const ConfigErrorCase& c, std::ostream* os) { *os << c.name; }

void put_plugin(json& value) {
  if (value.is_string() && value == "PLUGIN") value = kDemo;
  if (value.is_structured()) {
    for (auto& item : value) put_plugin(item);
  }
}

class ConfigFileError : public ::testing::TestWithParam<ConfigErrorCase> {};

TEST_P(ConfigFileError, ExitsTwoNamingTheFileAndTheKey) {
  TempDir dir;
  json config = GetParam().config;
  put_plugin(config);
  const std::string path = dir.file("bad.json");
  write_file(path, config.dump(2));
  const std::string line = expect_usage_error(run_host({"--config", path}));
  EXPECT_THAT(line, HasSubstr(path + ": "));
  for (const std::string& part : GetParam().expected) EXPECT_THAT(line, HasSubstr(part));
}

const ConfigErrorCase kConfigErrors[] = {
    {"UnknownKey", {{"plugins", {"PLUGIN"}}, {"bogus", 1}}, {"bogus", "unknown key"}},
    {"PluginsNotAList", {{"plugins", "PLUGIN"}}, {"plugins", "list"}},
    {"PluginEntryNotAString", {{"plugins", {1}}}, {"plugins[0]"}},
    {"RunnerWrongType", {{"plugins", {"PLUGIN"}}, {"runner", 3}}, {"runner", "number"}},
    {"RunnerNameWrongType", {{"plugins", {"PLUGIN"}}, {"runner", {{"name", 7}}}}, {"runner.name"}},
    {"ParamsWrongType", {{"plugins", {"PLUGIN"}}, {"params", {1, 2}}}, {"params", "object"}},
    {"FlowWrongType", {{"plugins", {"PLUGIN"}}, {"flow", 1}}, {"flow"}},
    {"FlowAndTask", {{"plugins", {"PLUGIN"}}, {"flow", "pipeline"}, {"task", "add"}}, {"task", "flow"}},
    {"UnknownRunnerName",
     {{"plugins", {"PLUGIN"}}, {"runner", "nope"}},
     {"runner 'nope'", "fiber, mpi, process, sequential, tbb"}},
    {"UnknownRunnerNameInObject",
     {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "nope"}}}},
     {"runner 'nope'", "fiber, mpi, process, sequential, tbb"}},
    {"MaxWorkersZero",
     {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "tbb"}, {"max_workers", 0}}}},
     {"runner.max_workers", "0"}},
    {"MaxWorkersNegative",
     {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "tbb"}, {"max_workers", -3}}}},
     {"runner.max_workers", "-3"}},
    {"MaxWorkersString",
     {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "tbb"}, {"max_workers", "4"}}}},
     {"runner.max_workers", "integer"}},
    {"MaxWorkersFraction",
     {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "fiber"}, {"max_workers", 1.5}}}},
     {"runner.max_workers"}},
    {"UnknownRunnerOption", {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "tbb"}, {"bogus", 1}}}}, {"tbb", "'bogus'"}},
    {"UnknownRunnerOptionOfFiber",
     {{"plugins", {"PLUGIN"}}, {"runner", {{"name", "fiber"}, {"speed", "max"}}}},
     {"fiber", "'speed'"}},
    {"TasksNotAnObject", {{"plugins", {"PLUGIN"}}, {"tasks", {1}}}, {"tasks"}},
    {"UnknownTaskInTasks", {{"plugins", {"PLUGIN"}}, {"tasks", {{"nope", {{"retries", 1}}}}}}, {"tasks.nope"}},
    {"BadOptionValueInTasks",
     {{"plugins", {"PLUGIN"}}, {"tasks", {{"add", {{"retries", -1}}}}}},
     {"tasks.add", "retries", "-1"}},
    {"UnknownOptionInTasks",
     {{"plugins", {"PLUGIN"}}, {"tasks", {{"add", {{"retriez", 1}}}}}},
     {"tasks.add", "retriez"}},
    {"ConcurrencyLimitNegative",
     {{"plugins", {"PLUGIN"}}, {"concurrency_limits", {{"db", -1}}}},
     {"concurrency_limits.db", "-1"}},
    {"ConcurrencyLimitsNotAnObject", {{"plugins", {"PLUGIN"}}, {"concurrency_limits", 5}}, {"concurrency_limits"}},
    {"LogLevelBogus", {{"plugins", {"PLUGIN"}}, {"log", {{"level", "bogus"}}}}, {"log", "level", "'bogus'"}},
    {"LogFormatBogus", {{"plugins", {"PLUGIN"}}, {"log", {{"format", "xml"}}}}, {"log", "format", "'xml'"}},
    {"LogUnknownKey", {{"plugins", {"PLUGIN"}}, {"log", {{"colour", true}}}}, {"log.colour"}},
    {"NotAnObject", json::array({"PLUGIN"}), {"object"}},
};

INSTANTIATE_TEST_SUITE_P(Keys, ConfigFileError, ::testing::ValuesIn(kConfigErrors),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CliConfigErrors, NotJson) {
  TempDir dir;
  const std::string path = dir.file("broken.json");
  write_file(path, "{\"plugins\": [\"x.so\"],\n");
  const std::string line = expect_usage_error(run_host({"--config", path}));
  EXPECT_THAT(line, HasSubstr(path + ": "));
  EXPECT_THAT(line, HasSubstr("not valid JSON"));
}

TEST(CliConfigErrors, RelativePluginMissingNamesTheResolvedPath) {
  TempDir dir;
  write_file(dir.file("c.json"), R"({"plugins": ["./libnot-here.so"]})");
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_THAT(line, HasSubstr(dir.file("libnot-here.so")));
}

}  // namespace
