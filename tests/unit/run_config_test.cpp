// Config files: every key, and every error path with a message that names the file and the
// key, since that message is all a user sees when runner-host refuses to start.
#include "cli/run_config.hpp"
#include "scratch_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using rh::host::ConfigError;
using rh::host::load_run_config;
using rh::host::parse_run_config;
using rh::host::RunConfig;
using rh::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

RunConfig parse(const json& document) { return parse_run_config(document, "cfg.json", "/etc/rh"); }

std::string config_error(const json& document) {
  try {
    parse(document);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "config " << document.dump() << " was accepted";
  return {};
}

std::string load_error(const std::string& path) {
  try {
    load_run_config(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "config file " << path << " was accepted";
  return {};
}

TEST(RunConfig, EmptyObjectGivesDefaults) {
  const RunConfig config = parse(json::object());
  EXPECT_EQ(config.source, "cfg.json");
  EXPECT_TRUE(config.plugins.empty());
  EXPECT_FALSE(config.flow);
  EXPECT_FALSE(config.task);
  EXPECT_EQ(config.params, json::object());
  EXPECT_EQ(config.runner.name, "tbb");
  EXPECT_EQ(config.runner.options, json::object());
  EXPECT_EQ(config.task_overrides, json::object());
  EXPECT_TRUE(config.concurrency_limits.empty());
  EXPECT_FALSE(config.report);
  EXPECT_FALSE(config.events);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.log_format, "text");
  EXPECT_EQ(config.waiter.max_entries, 10000u);
  EXPECT_EQ(config.waiter.ttl_seconds, 600);
  EXPECT_EQ(config.cache_max_entries, 10000u);
}

TEST(RunConfig, EveryKeyIsRead) {
  const RunConfig config = parse(json::parse(R"({
    "plugins": ["libtasks.so"],
    "flow": "pipeline",
    "params": {"n": 3},
    "runner": {"name": "fiber", "max_workers": 4, "stealing": true},
    "tasks": {"add": {"retries": 2}},
    "concurrency_limits": {"db": 2, "off": 0},
    "report": "out/report.json",
    "events": "/var/log/events.jsonl",
    "log": {"level": "debug", "format": "json"},
    "waiter": {"max_entries": 50, "ttl_seconds": 1.5},
    "cache": {"max_entries": 7}
  })"));
  EXPECT_EQ(config.plugins, std::vector<std::string>{"/etc/rh/libtasks.so"});
  EXPECT_EQ(config.flow, "pipeline");
  EXPECT_EQ(config.params, (json{{"n", 3}}));
  EXPECT_EQ(config.runner.name, "fiber");
  EXPECT_EQ(config.runner.options, (json{{"max_workers", 4}, {"stealing", true}}));  // without "name"
  EXPECT_EQ(config.task_overrides, (json{{"add", {{"retries", 2}}}}));
  EXPECT_EQ(config.concurrency_limits, (std::map<std::string, std::int64_t>{{"db", 2}, {"off", 0}}));
  EXPECT_EQ(config.report, "/etc/rh/out/report.json");
  EXPECT_EQ(config.events, "/var/log/events.jsonl");
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.log_format, "json");
  EXPECT_EQ(config.waiter.max_entries, 50u);
  EXPECT_EQ(config.waiter.ttl_seconds, 1.5);
  EXPECT_EQ(config.cache_max_entries, 7u);
}

TEST(RunConfig, TaskInsteadOfFlow) {
  const RunConfig config = parse({{"task", "add"}});
  EXPECT_EQ(config.task, "add");
  EXPECT_FALSE(config.flow);
}

TEST(RunConfig, NotAnObject) {
  EXPECT_EQ(config_error(json::array()), "cfg.json: the config must be a JSON object, got array");
  EXPECT_EQ(config_error("text"), "cfg.json: the config must be a JSON object, got string");
}

TEST(RunConfig, UnknownTopLevelKey) {
  EXPECT_EQ(
      config_error({{"plugin", json::array()}}),
      "cfg.json: plugin: unknown key (known: plugins, allow_untrusted_plugins, flow, task, params, runner, tasks, "
      "concurrency_limits, report, events, trace, log, waiter, cache, grace_seconds, store, html)");
}

TEST(RunConfig, Plugins) {
  EXPECT_EQ(config_error({{"plugins", "libtasks.so"}}),
            "cfg.json: plugins: must be a list of plugin file paths, got string");
  EXPECT_EQ(config_error({{"plugins", {"a.so", ""}}}), "cfg.json: plugins[1]: must be a non-empty string, got \"\"");
  EXPECT_EQ(config_error({{"plugins", {"a.so", 3}}}), "cfg.json: plugins[1]: must be a non-empty string, got 3");
}

TEST(RunConfig, FlowAndTask) {
  EXPECT_EQ(config_error({{"flow", "f"}, {"task", "t"}}), "cfg.json: task: cannot be combined with 'flow': choose one");
  EXPECT_EQ(config_error({{"flow", ""}}), "cfg.json: flow: must be a non-empty string, got \"\"");
  EXPECT_EQ(config_error({{"task", 1}}), "cfg.json: task: must be a non-empty string, got 1");
}

TEST(RunConfig, ParamsMustBeAnObject) {
  EXPECT_EQ(config_error({{"params", {1, 2}}}), "cfg.json: params: must be a JSON object, got array");
}

TEST(RunConfig, RunnerAsNameObjectOrPath) {
  EXPECT_EQ(parse({{"runner", "sequential"}}).runner.name, "sequential");
  EXPECT_EQ(parse({{"runner", {{"max_workers", 2}}}}).runner.name, "tbb");  // object without a name
  // A path (contains '/') is taken relative to the config file; an absolute one is kept.
  EXPECT_EQ(parse({{"runner", "runners/librh_runner_x.so"}}).runner.name, "/etc/rh/runners/librh_runner_x.so");
  EXPECT_EQ(parse({{"runner", {{"name", "/opt/r.so"}}}}).runner.name, "/opt/r.so");
}

TEST(RunConfig, RunnerErrors) {
  EXPECT_EQ(config_error({{"runner", 4}}),
            "cfg.json: runner: must be a runner name or an object like {\"name\": \"tbb\"}, got number");
  EXPECT_EQ(config_error({{"runner", ""}}), "cfg.json: runner: must be a non-empty string, got \"\"");
  EXPECT_EQ(config_error({{"runner", {{"name", 3}}}}), "cfg.json: runner.name: must be a non-empty string, got 3");
}

TEST(RunConfig, RunnerMaxWorkers) {
  EXPECT_EQ(parse({{"runner", {{"max_workers", 1}}}}).runner.options, (json{{"max_workers", 1}}));
  EXPECT_EQ(config_error({{"runner", {{"max_workers", 0}}}}), "cfg.json: runner.max_workers: must be >= 1, got 0");
  EXPECT_EQ(config_error({{"runner", {{"max_workers", -1}}}}), "cfg.json: runner.max_workers: must be >= 1, got -1");
  EXPECT_EQ(config_error({{"runner", {{"max_workers", "4"}}}}),
            "cfg.json: runner.max_workers: must be an integer, got string \"4\"");
  EXPECT_EQ(config_error({{"runner", {{"max_workers", 2.5}}}}),
            "cfg.json: runner.max_workers: must be an integer, got number 2.5");
}

TEST(RunConfig, Tasks) {
  EXPECT_EQ(config_error({{"tasks", {1}}}), "cfg.json: tasks: must be an object of task name -> options, got array");
  EXPECT_EQ(config_error({{"tasks", {{"add", 3}}}}), "cfg.json: tasks.add: must be an object of options");
}

TEST(RunConfig, ConcurrencyLimits) {
  EXPECT_EQ(config_error({{"concurrency_limits", {{"db", -1}}}}),
            "cfg.json: concurrency_limits.db: must be >= 0, got -1");
  EXPECT_EQ(config_error({{"concurrency_limits", {{"db", 1.5}}}}),
            "cfg.json: concurrency_limits.db: must be an integer, got number 1.5");
  EXPECT_EQ(config_error({{"concurrency_limits", {{"db", "2"}}}}),
            "cfg.json: concurrency_limits.db: must be an integer, got string \"2\"");
  EXPECT_EQ(config_error({{"concurrency_limits", {1}}}),
            "cfg.json: concurrency_limits: must be an object of tag -> slots, got array");
}

TEST(RunConfig, Log) {
  EXPECT_EQ(config_error({{"log", {{"colour", "always"}}}}),
            "cfg.json: log.colour: unknown key (known: level, format)");
  EXPECT_EQ(config_error({{"log", "debug"}}),
            "cfg.json: log: must be an object like {\"level\": \"info\"}, got string");
  EXPECT_EQ(config_error({{"log", {{"level", ""}}}}), "cfg.json: log.level: must be a non-empty string, got \"\"");
}

TEST(RunConfig, Waiter) {
  EXPECT_EQ(config_error({{"waiter", {{"max_entries", 0}}}}), "cfg.json: waiter.max_entries: must be >= 1, got 0");
  EXPECT_EQ(config_error({{"waiter", {{"ttl_seconds", 0}}}}),
            "cfg.json: waiter.ttl_seconds: must be a number > 0, got 0");
  EXPECT_EQ(config_error({{"waiter", {{"ttl_seconds", -2}}}}),
            "cfg.json: waiter.ttl_seconds: must be a number > 0, got -2");
  EXPECT_EQ(config_error({{"waiter", {{"ttl", 1}}}}),
            "cfg.json: waiter.ttl: unknown key (known: max_entries, ttl_seconds)");
  EXPECT_EQ(config_error({{"waiter", 1}}), "cfg.json: waiter: must be an object, got number");
}

TEST(RunConfig, Cache) {
  EXPECT_EQ(config_error({{"cache", {{"max_entries", 0}}}}), "cfg.json: cache.max_entries: must be >= 1, got 0");
  EXPECT_EQ(config_error({{"cache", {{"max_entries", "many"}}}}),
            "cfg.json: cache.max_entries: must be an integer, got string \"many\"");
  EXPECT_EQ(config_error({{"cache", {{"size", 1}}}}), "cfg.json: cache.size: unknown key (known: max_entries)");
  EXPECT_EQ(config_error({{"cache", true}}), "cfg.json: cache: must be an object, got boolean");
}

TEST(RunConfig, ReportAndEventsPaths) {
  const RunConfig config = parse({{"report", "../r.json"}, {"events", "ev/e.jsonl"}});
  EXPECT_EQ(config.report, "/etc/r.json");
  EXPECT_EQ(config.events, "/etc/rh/ev/e.jsonl");
  EXPECT_EQ(config_error({{"report", ""}}), "cfg.json: report: must be a non-empty string, got \"\"");
  EXPECT_EQ(config_error({{"events", 5}}), "cfg.json: events: must be a non-empty string, got 5");
}

TEST(RunConfig, PluginPathsRelativeToTheConfigAbsoluteKept) {
  const RunConfig config = parse({{"plugins", {"libs/a.so", "/abs/b.so", "../c.so"}}});
  EXPECT_EQ(config.plugins, (std::vector<std::string>{"/etc/rh/libs/a.so", "/abs/b.so", "/etc/c.so"}));
}

// --- from files

TEST(RunConfigFile, RelativePathsResolveAgainstTheFilesDirectory) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "conf");
  const std::string path = dir.write(
      "conf/run.json", R"({"plugins": ["libtasks.so", "/abs/x.so"], "report": "r.json", "events": "../e.jsonl"})");
  const RunConfig config = load_run_config(path);
  EXPECT_EQ(config.source, path);
  EXPECT_EQ(config.plugins, (std::vector<std::string>{dir.file("conf/libtasks.so"), "/abs/x.so"}));
  EXPECT_EQ(config.report, dir.file("conf/r.json"));
  EXPECT_EQ(config.events, dir.file("e.jsonl"));
}

TEST(RunConfigFile, ErrorsNameTheFile) {
  ScratchDir dir;
  const std::string path = dir.write("run.json", R"({"runner": {"max_workers": 0}})");
  EXPECT_EQ(load_error(path), path + ": runner.max_workers: must be >= 1, got 0");
}

TEST(RunConfigFile, NotJsonReportsTheParserPosition) {
  ScratchDir dir;
  const std::string path = dir.write("run.json", "{\n  \"plugins\": [,]\n}\n");
  const std::string message = load_error(path);
  EXPECT_THAT(message, StartsWith(path + ": not valid JSON: "));
  EXPECT_THAT(message, HasSubstr("line 2, column 15"));
}

TEST(RunConfigFile, MissingFile) {
  ScratchDir dir;
  const std::string path = dir.file("absent.json");
  EXPECT_EQ(load_error(path), path + ": cannot open the config file");
}

}  // namespace
