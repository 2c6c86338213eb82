// --log-format and --log-level: JSON log lines on stderr, and levels that hide what is
// below them. The chatty task logs one line at info, warn and error.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kChattyFlow = {"--plugin", kTasks, "--flow", "chatty_flow"};

ProcessResult run_chatty(const std::vector<std::string>& extra) {
  std::vector<std::string> args = kChattyFlow;
  args.insert(args.end(), extra.begin(), extra.end());
  return run_host(args);
}

// Every stderr line is a JSON object with string fields time, level, logger, message.
void expect_json_log_lines(const ProcessResult& r) {
  ASSERT_FALSE(r.err.empty()) << describe(r);
  EXPECT_EQ(r.err.back(), '\n');
  for (const std::string& line : lines_of(r.err)) {
    SCOPED_TRACE(line);
    ASSERT_TRUE(json::accept(line)) << "not JSON";
    const json entry = json::parse(line);
    ASSERT_TRUE(entry.is_object());
    for (const char* key : {"time", "level", "logger", "message"}) {
      ASSERT_TRUE(entry.contains(key)) << key;
      EXPECT_TRUE(entry.at(key).is_string()) << key;
    }
    EXPECT_FALSE(entry.at("time").get<std::string>().empty());
  }
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  for (const std::string& line : lines_of(text)) out.push_back(json::parse(line));
  return out;
}

TEST(CliLogging, JsonFormatMakesEveryStderrLineAJsonObject) {
  const ProcessResult r = run_chatty({"--log-format", "json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_json_log_lines(r);
  bool warn_seen = false;
  for (const json& entry : json_lines(r.err)) {
    if (entry.at("message").get<std::string>().find("chatty-warn-line") != std::string::npos) {
      warn_seen = true;
      EXPECT_EQ(entry.at("level"), "warning");
      EXPECT_EQ(entry.at("logger"), "runner-host");
    }
  }
  EXPECT_TRUE(warn_seen) << describe(r);
  // stdout keeps the plain table.
  EXPECT_THAT(r.out, HasSubstr("TASK"));
}

TEST(CliLogging, JsonFormatAtTraceLevel) {
  const ProcessResult r = run_chatty({"--log-format", "json", "--log-level", "trace"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_json_log_lines(r);
  std::set<std::string> levels;
  for (const json& entry : json_lines(r.err)) levels.insert(entry.at("level"));
  EXPECT_TRUE(levels.count("debug")) << describe(r);
  EXPECT_TRUE(levels.count("info")) << describe(r);
  EXPECT_TRUE(levels.count("error")) << describe(r);
}

// With --log-format json every stderr line is JSON, the failed task's outcome line too.
TEST(CliLogging, JsonFormatAlsoCoversTheFailedTaskLine) {
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "kaput", "--log-format", "json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_json_log_lines(r);
}

TEST(CliLogging, DefaultLevelShowsInfoAndWarnings) {
  const ProcessResult r = run_chatty({});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("chatty-info-line"));
  EXPECT_THAT(r.err, HasSubstr("chatty-warn-line"));
  EXPECT_THAT(r.err, HasSubstr("chatty-error-line"));
  // Text format: "[time] [level] message".
  for (const std::string& line : lines_of(r.err)) EXPECT_EQ(line.front(), '[') << line;
}

TEST(CliLogging, ErrorLevelHidesWarningsAndInfo) {
  const ProcessResult r = run_chatty({"--log-level", "error"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("chatty-error-line"));
  EXPECT_THAT(r.err, Not(HasSubstr("chatty-warn-line")));
  EXPECT_THAT(r.err, Not(HasSubstr("chatty-info-line")));
  EXPECT_THAT(r.err, HasSubstr("kaput on purpose"));  // the failure is logged at error
}

TEST(CliLogging, WarnLevelHidesInfo) {
  const ProcessResult r = run_chatty({"--log-level", "warn"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("chatty-warn-line"));
  EXPECT_THAT(r.err, Not(HasSubstr("chatty-info-line")));
}

TEST(CliLogging, OffLevelIsSilent) {
  const ProcessResult r = run_chatty({"--log-level", "off"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("flow chatty_flow ("));
}

}  // namespace

namespace {

// At debug level the host says what it runs where, with the runner's worker count when the
// runner reports one (rh_runner_api.concurrency is optional).
TEST(CliLogging, DebugLevelNamesTheRunnerAndItsWorkers) {
  const ProcessResult r = run_chatty({"--runner", "fiber", "--max-workers", "3", "--log-level", "debug"});
  EXPECT_THAT(r.err, HasSubstr("running flow 'chatty_flow' on runner 'fiber' (3 workers)")) << describe(r);
}

}  // namespace

namespace {

// The JSON line of `needle` (a message), or null.
json json_line_with_message(const std::string& err, const std::string& message) {
  for (const std::string& line : lines_of(err)) {
    const json entry = json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("message", "") == message) return entry;
  }
  return nullptr;
}

// A line about a run gives the run's identity as fields; the message is the task's own text.
TEST(CliLogging, JsonLinesAboutARunCarryItsFields) {
  TempDir dir;
  const ProcessResult r =
      run_chatty({"--log-format", "json", "--log-level", "debug", "--report", dir.file("report.json")});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json line = json_line_with_message(r.err, "chatty-warn-line");
  ASSERT_TRUE(line.is_object()) << describe(r);
  EXPECT_EQ(line.at("task"), "chatty");
  EXPECT_EQ(line.at("attempt"), 1);
  ASSERT_TRUE(line.at("run_id").is_number_unsigned());
  ASSERT_TRUE(line.at("flow_run_id").is_number_unsigned());
  EXPECT_NE(line.at("run_id"), line.at("flow_run_id"));
  // The same run as the report's: its id, its name, the flow run's id.
  const json report = parse_json_file(dir.file("report.json"));
  bool found = false;
  for (const json& run : report.at("task_runs")) {
    if (run.at("task") != "chatty") continue;
    found = true;
    EXPECT_EQ(line.at("run_id"), run.at("id"));
    EXPECT_EQ(line.at("run_name"), run.at("name"));
  }
  EXPECT_TRUE(found) << r.out;
  EXPECT_EQ(line.at("flow_run_id"), report.at("flow").at("id"));
  // A line about no run has none of them.
  bool host_line_seen = false;
  for (const std::string& text : lines_of(r.err)) {
    const json entry = json::parse(text);
    if (entry.at("message").get<std::string>().rfind("running flow 'chatty_flow'", 0) != 0) continue;
    host_line_seen = true;
    EXPECT_FALSE(entry.contains("run_id")) << text;
    EXPECT_FALSE(entry.contains("task")) << text;
  }
  EXPECT_TRUE(host_line_seen) << describe(r);
}

// Hooks log through RunInfo::log, attributed to their run as a task's own lines are.
TEST(CliLogging, AHookLogsAboutItsRun) {
  const ProcessResult text = run_chatty({});
  EXPECT_THAT(text.err, testing::MatchesRegex("(.|\n)*\\[warning\\] \\[kaput-[0-9a-f]{3}\\] kaput-hook-line\n(.|\n)*"))
      << describe(text);
  const ProcessResult r = run_chatty({"--log-format", "json"});
  const json line = json_line_with_message(r.err, "kaput-hook-line");
  ASSERT_TRUE(line.is_object()) << describe(r);
  EXPECT_EQ(line.at("level"), "warning");
  EXPECT_EQ(line.at("task"), "kaput");
  EXPECT_THAT(line.at("run_name").get<std::string>(), testing::StartsWith("kaput-"));
}

// A run whose name cannot be rendered fails, and says so in the log as any failure does.
TEST(CliLogging, ARunNameThatCannotBeRenderedIsLogged) {
  const ProcessResult r = run_host({"--plugin", kTasks, "--flow", "misnamed_flow", "--log-format", "json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  bool logged = false;
  for (const std::string& text : lines_of(r.err)) {
    const json entry = json::parse(text);
    if (entry.value("task", "") != "named") continue;
    logged = true;
    EXPECT_EQ(entry.at("level"), "error");
    EXPECT_THAT(entry.at("message").get<std::string>(), HasSubstr("Could not name the run: "));
    EXPECT_THAT(entry.at("message").get<std::string>(), HasSubstr("missing"));
  }
  EXPECT_TRUE(logged) << describe(r);
}

}  // namespace
