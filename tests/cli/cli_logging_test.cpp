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
