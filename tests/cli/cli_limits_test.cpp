// The input limits (docs/config.md, "Limits") as a user meets them: each input that aborted,
// crashed or hung runner-host before (a number no double holds, nesting tens of thousands
// deep, a huge file, a delay or timeout of 1e10 s) now ends it with exit 2 and one line on
// stderr naming the file or flag, the key and the limit.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kDeclaredOutOfRange = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_declared_out_of_range.so";
const std::string kDeclaredTooDeep = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_declared_too_deep.so";
const std::string kDeclaredLongTimeout = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_declared_long_timeout.so";

std::string nested_lists(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A config running `task` of the CLI test library on the sequential runner, plus `extra`
// (JSON members, without braces).
std::string config_for(const std::string& task, const std::string& extra) {
  return R"({"plugins": [")" + kTasks + R"("], "task": ")" + task + R"(", "runner": "sequential", )" + extra + "}";
}

TEST(CliLimits, NumberOutOfRangeInTheConfig) {
  TempDir dir;
  write_file(dir.file("c.json"), config_for("echo", R"("params": {"x": 1e400})"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_EQ(line, "runner-host: config error: " + dir.file("c.json") +
                      ": params.x: number 1e400 is out of range (no double holds it)");
}

TEST(CliLimits, NumberOutOfRangeInParams) {
  const std::string line = expect_usage_error(
      run_host({"--plugin", kTasks, "--task", "echo", "--runner", "sequential", "--params", R"({"x": 1e400})"}));
  EXPECT_EQ(line, "runner-host: --params: x: number 1e400 is out of range (no double holds it)");
}

TEST(CliLimits, NestingTooDeepInTheConfig) {
  TempDir dir;
  write_file(dir.file("c.json"), config_for("echo", R"("params": {"x": )" + nested_lists(52000) + "}"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_THAT(line, StartsWith("runner-host: config error: " + dir.file("c.json") + ": params.x[0][0]"));
  EXPECT_THAT(line, HasSubstr("...: nested deeper than 64 levels (the limit)"));
}

TEST(CliLimits, NestingTooDeepInParams) {
  const std::string line = expect_usage_error(run_host({"--plugin", kTasks, "--task", "echo", "--runner", "sequential",
                                                        "--params", R"({"x": )" + nested_lists(60000) + "}"}));
  EXPECT_EQ(line, "runner-host: --params: x[0][0][0][0][0][0][0]...: nested deeper than 64 levels (the limit)");
}

TEST(CliLimits, NestingAtTheLimitRuns) {
  // --params itself and 63 levels inside it: 64.
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "echo", "--runner", "sequential", "--params",
                                    R"({"x": )" + nested_lists(63) + "}"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, R"({"x":)" + nested_lists(63) + "}\n");
}

TEST(CliLimits, ConfigFileTooLarge) {
  TempDir dir;
  const std::string path = dir.file("huge.json");
  write_file(path, "{}");
  std::filesystem::resize_file(path, 200u * 1024 * 1024);  // sparse: 200 MB cost 5.7 GB of memory before
  const std::string line = expect_usage_error(run_host({"--config", path}));
  EXPECT_EQ(line, "runner-host: config error: " + path +
                      ": the config file is larger than the limit of 16 MiB (16777216 bytes)");
}

TEST(CliLimits, RetryDelayBeyondThirtyDaysInATaskOverride) {
  // Made the timer thread spin before: the run never woke, and SIGINT was ignored.
  TempDir dir;
  write_file(dir.file("c.json"), config_for("kaput", R"("tasks": {"kaput": {"retries": 1, "retry_delay": 1e10}})"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_EQ(line, "runner-host: " + dir.file("c.json") +
                      ": tasks.kaput: task 'kaput': option 'retry_delay' must be at most 2592000 seconds (30 days), "
                      "got 10000000000.0");
}

TEST(CliLimits, TimeoutBeyondThirtyDaysInATaskOverride) {
  TempDir dir;
  write_file(dir.file("c.json"), config_for("echo", R"("tasks": {"echo": {"timeout_seconds": 1e10}})"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_EQ(line, "runner-host: " + dir.file("c.json") +
                      ": tasks.echo: task 'echo': option 'timeout_seconds' must be at most 2592000 seconds (30 days), "
                      "got 10000000000.0");
}

TEST(CliLimits, RetriesThatDoubleABackoffBeyondThirtyDays) {
  TempDir dir;
  write_file(dir.file("c.json"),
             config_for("add", R"("tasks": {"add": {"retries": 40, "retry_delay": {"exponential_backoff": 1}}})"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_EQ(line, "runner-host: " + dir.file("c.json") +
                      ": tasks.add: task 'add': option 'retry_delay.exponential_backoff' 1 doubles to 4.1943e+06 "
                      "seconds before retry 23 of 40, more than the maximum of 2592000 seconds (30 days); use a "
                      "smaller factor or fewer retries");
}

TEST(CliLimits, ATaskOverrideKeyHoldingANewlineIsQuoted) {
  // Found by fuzzing: the key went into the message as it was, which took two lines.
  TempDir dir;
  write_file(dir.file("c.json"), config_for("echo", R"("tasks": {"a\nb": {}})"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_EQ(line, "runner-host: " + dir.file("c.json") + R"(: tasks["a\nb"]: no loaded library defines a task 'a?b')");
}

TEST(CliLimits, WaiterTtlBeyondThirtyDays) {
  TempDir dir;
  write_file(dir.file("c.json"), config_for("echo", R"("waiter": {"ttl_seconds": 1e10})"));
  const std::string line = expect_usage_error(run_host({"--config", dir.file("c.json")}));
  EXPECT_EQ(line, "runner-host: config error: " + dir.file("c.json") +
                      ": waiter.ttl_seconds: must be at most 2592000 seconds (30 days), got 10000000000.0");
}

TEST(CliLimits, PluginDeclaringANumberOutOfRange) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDeclaredOutOfRange, "--task", "declared"}));
  EXPECT_EQ(line, "runner-host: plugin '" + kDeclaredOutOfRange +
                      "': task 'declared': options JSON: retry_delay: number 1e400 is out of range (no double holds "
                      "it)");
}

TEST(CliLimits, PluginDeclaringOptionsNestedTooDeep) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDeclaredTooDeep, "--task", "declared"}));
  EXPECT_EQ(line, "runner-host: plugin '" + kDeclaredTooDeep +
                      "': task 'declared': options JSON: tags[0][0][0][0][0][0][0]...: nested deeper than 64 levels "
                      "(the limit)");
}

TEST(CliLimits, PluginDeclaringATimeoutBeyondThirtyDays) {
  const std::string line = expect_usage_error(run_host({"--plugin", kDeclaredLongTimeout, "--task", "declared"}));
  EXPECT_EQ(line, "runner-host: plugin '" + kDeclaredLongTimeout +
                      "': task 'declared': option 'timeout_seconds' must be at most 2592000 seconds (30 days), got "
                      "10000000000.0");
}

}  // namespace
