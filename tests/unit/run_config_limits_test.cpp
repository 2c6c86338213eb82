// Config files and --params within the documented limits (docs/config.md, "Limits"): the
// size of a file, nesting, numbers no double holds, durations beyond 30 days. Each refusal is
// a ConfigError whose message names the file (or --params) and the key.
#include "base/limits.hpp"
#include "cli/run_config.hpp"
#include "scratch_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using json = nlohmann::json;
using rh::host::ConfigError;
using rh::host::kMaxJsonInputBytes;
using rh::host::load_run_config;
using rh::host::parse_params_flag;
using rh::host::parse_run_config_text;
using rh::host::RunConfig;
using rh::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string nested_lists(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string text_error(const std::string& text) {
  try {
    parse_run_config_text(text, "cfg.json", "/etc/rh");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "config accepted: " << text.substr(0, 200);
  return {};
}

std::string load_error(const std::string& path) {
  try {
    load_run_config(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "config file accepted: " << path;
  return {};
}

std::string params_error(const std::string& text) {
  try {
    parse_params_flag(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "--params accepted: " << text.substr(0, 200);
  return {};
}

TEST(RunConfigLimits, NumberOutOfRangeNamesTheKey) {
  // Aborted the host (an uncaught nlohmann out_of_range) before.
  EXPECT_EQ(text_error(R"({"params": {"x": 1e400}})"),
            "cfg.json: params.x: number 1e400 is out of range (no double holds it)");
  EXPECT_EQ(text_error(R"({"tasks": {"db": {"retry_delay": [1, -1e400]}}})"),
            "cfg.json: tasks.db.retry_delay[1]: number -1e400 is out of range (no double holds it)");
  EXPECT_EQ(text_error(R"({"runner": {"name": "tbb", "max_workers": 1e999}})"),
            "cfg.json: runner.max_workers: number 1e999 is out of range (no double holds it)");
}

TEST(RunConfigLimits, NestingUpToTheLimitIsAccepted) {
  // The document, "params" and 62 levels below it: 64.
  const RunConfig config = parse_run_config_text(R"({"params": {"x": )" + nested_lists(62) + "}}", "cfg.json", "");
  EXPECT_EQ(config.params.at("x").dump(), nested_lists(62));
}

TEST(RunConfigLimits, NestingBeyondTheLimitNamesTheKey) {
  EXPECT_THAT(text_error(R"({"params": {"x": )" + nested_lists(63) + "}}"),
              StartsWith("cfg.json: params.x[0][0][0][0][0][0]...: nested deeper than 64 levels (the limit)"));
  // The depths that crashed the host (a recursive copy and dump overflowed the stack), under
  // each key that takes any JSON.
  for (const std::string key : {"params", "flow", "tasks", "runner"}) {
    const std::string message = text_error("{\"" + key + "\": " + nested_lists(52000) + "}");
    EXPECT_THAT(message, StartsWith("cfg.json: " + key + "[0][0]")) << key;
    EXPECT_THAT(message, HasSubstr(": nested deeper than 64 levels (the limit)")) << key;
  }
}

TEST(RunConfigLimits, AConfigFileBeyondTheSizeLimitIsRefusedUnread) {
  ScratchDir dir;
  const std::string path = dir.file("huge.json");
  { std::ofstream(path) << "{}"; }
  std::filesystem::resize_file(path, kMaxJsonInputBytes + 1);  // sparse: nothing is written
  EXPECT_EQ(load_error(path), path + ": the config file is larger than the limit of 16 MiB (16777216 bytes)");
}

TEST(RunConfigLimits, AConfigFileAtTheSizeLimitIsRead) {
  ScratchDir dir;
  std::string text = R"({"params": {}})";
  text.resize(kMaxJsonInputBytes, ' ');
  const std::string path = dir.write("full.json", text);
  EXPECT_EQ(load_run_config(path).params, json::object());
}

TEST(RunConfigLimits, AStreamWithoutSizeIsReadOnlyUpToTheLimit) {
  // /dev/zero never ends: reading stops one byte past the limit.
  EXPECT_EQ(load_error("/dev/zero"), "/dev/zero: the config file is larger than the limit of 16 MiB (16777216 bytes)");
}

TEST(RunConfigLimits, WaiterTtlBeyondThirtyDaysIsRefused) {
  EXPECT_EQ(text_error(R"({"waiter": {"ttl_seconds": 1e10}})"),
            "cfg.json: waiter.ttl_seconds: must be at most 2592000 seconds (30 days), got 10000000000.0");
  EXPECT_EQ(parse_run_config_text(R"({"waiter": {"ttl_seconds": 2592000}})", "cfg.json", "").waiter.ttl_seconds,
            2592000);
}

TEST(RunConfigLimits, IntegersBeyondInt64AreRefusedAsTooLarge) {
  EXPECT_EQ(text_error(R"({"cache": {"max_entries": 18446744073709551615}})"),
            "cfg.json: cache.max_entries: must be at most 9223372036854775807, got 18446744073709551615");
  EXPECT_EQ(text_error(R"({"concurrency_limits": {"db": 9223372036854775808}})"),
            "cfg.json: concurrency_limits.db: must be at most 9223372036854775807, got 9223372036854775808");
}

TEST(RunConfigLimits, KeysOfAnyTextStayOnOneLine) {
  EXPECT_EQ(text_error(R"({"log": {"col\nour": 1}})"),
            R"(cfg.json: log["col\nour"]: unknown key (known: level, format))");
  EXPECT_EQ(text_error(R"({"tasks": {"a\nb": 1}})"), R"(cfg.json: tasks["a\nb"]: must be an object of options)");
}

TEST(RunConfigLimits, LongValuesAreQuotedShort) {
  const std::string message = text_error(R"({"flow": [")" + std::string(10000, 'x') + R"("]})");
  EXPECT_THAT(message, StartsWith(R"(cfg.json: flow: must be a non-empty string, got [")"));
  EXPECT_LT(message.size(), 200u);
}

TEST(ParamsFlag, AcceptsAnObject) {
  EXPECT_EQ(parse_params_flag(R"({"a": 1, "b": [2]})"), json::parse(R"({"a": 1, "b": [2]})"));
}

TEST(ParamsFlag, ErrorsNameTheFlag) {
  EXPECT_THAT(params_error("{"), StartsWith("--params is not valid JSON: [json.exception.parse_error.101]"));
  EXPECT_EQ(params_error("[1]"), "--params must be a JSON object, got array");
  // Aborted the host before.
  EXPECT_EQ(params_error(R"({"x": 1e400})"), "--params: x: number 1e400 is out of range (no double holds it)");
  // Crashed the host before (60,000 levels).
  EXPECT_THAT(params_error(R"({"x": )" + nested_lists(60000) + "}"),
              StartsWith("--params: x[0][0][0][0][0][0][0]...: nested deeper than 64 levels (the limit)"));
}

TEST(ParamsFlag, TextBeyondTheSizeLimitIsRefused) {
  // The kernel passes no argument this long (128 KiB each), but the limit holds wherever
  // the text comes from.
  std::string text = "{}";
  text.resize(kMaxJsonInputBytes + 1, ' ');
  EXPECT_EQ(params_error(text), "--params is larger than the limit of 16777216 bytes");
}

}  // namespace
