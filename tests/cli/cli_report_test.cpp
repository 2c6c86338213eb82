// --report FILE: a JSON document with the runner, the flow run, every task run (identity,
// state, ordered state names, attempts, times, parameters, result or error) and a summary.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace {

using namespace rh::testing;
using ::testing::StartsWith;
using Names = std::vector<std::string>;

// The fields every run in the report has, with their types.
void expect_run_shape(const json& run) {
  SCOPED_TRACE(run.dump());
  ASSERT_TRUE(run.is_object());
  EXPECT_TRUE(run.at("id").is_number_unsigned());
  EXPECT_TRUE(run.at("task").is_string());
  EXPECT_TRUE(run.at("name").is_string());
  EXPECT_THAT(run.at("name").get<std::string>(), StartsWith(run.at("task").get<std::string>() + "-"));
  const json& state = run.at("state");
  EXPECT_TRUE(state.at("type").is_string());
  EXPECT_TRUE(state.at("name").is_string());
  EXPECT_TRUE(state.at("message").is_string());
  ASSERT_TRUE(run.at("states").is_array());
  ASSERT_FALSE(run.at("states").empty());
  EXPECT_EQ(run.at("states").front(), "Pending");
  EXPECT_EQ(run.at("states").back(), state.at("name"));
  EXPECT_TRUE(run.at("run_count").is_number_unsigned());
  EXPECT_TRUE(run.at("start_time").is_string());
  EXPECT_TRUE(run.at("end_time").is_string());
  // ISO 8601 UTC timestamps: equal-length, so text order is time order.
  EXPECT_LE(run.at("start_time").get<std::string>(), run.at("end_time").get<std::string>());
  EXPECT_TRUE(run.at("total_run_time").is_number());
  EXPECT_GE(run.at("total_run_time").get<double>(), 0.0);
  EXPECT_TRUE(run.at("params").is_object());
  if (state.at("type") == "COMPLETED") {
    EXPECT_TRUE(run.contains("result"));
    EXPECT_FALSE(run.contains("error"));
  } else {
    EXPECT_FALSE(run.contains("result"));
    EXPECT_TRUE(run.at("error").at("type").is_string());
    EXPECT_TRUE(run.at("error").at("message").is_string());
  }
}

TEST(CliReport, DemoFlowReport) {
  TempDir dir;
  const ProcessResult r = run_host({"--plugin", kDemo, "--params", R"({"b":5})", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  const std::string text = read_file(dir.file("r.json"));
  ASSERT_TRUE(json::accept(text)) << text;
  const json report = json::parse(text);

  EXPECT_EQ(report.at("runner"), "tbb");
  EXPECT_EQ(report.at("interrupted"), false);

  const json& flow = report.at("flow");
  expect_run_shape(flow);
  EXPECT_EQ(flow.at("task"), "pipeline");
  EXPECT_EQ(flow.at("flow"), "pipeline");
  EXPECT_EQ(flow.at("state"), (json{{"type", "COMPLETED"}, {"name", "Completed"}, {"message", ""}}));
  EXPECT_EQ(flow.at("states"), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(flow.at("params"), (json{{"b", 5}}));
  EXPECT_EQ(flow.at("result"), (json{{"b", 16}, {"c_state", "Failed"}}));

  const json& runs = report.at("task_runs");
  ASSERT_EQ(runs.size(), 3u);
  std::set<std::uint64_t> ids{flow.at("id").get<std::uint64_t>()};
  for (const json& run : runs) {
    expect_run_shape(run);
    EXPECT_TRUE(ids.insert(run.at("id").get<std::uint64_t>()).second) << "duplicate id " << run.at("id");
    EXPECT_EQ(run.at("run_count"), 1);
  }

  EXPECT_EQ(runs[0].at("task"), "add");
  EXPECT_EQ(runs[0].at("params"), (json{{"a", 1}, {"b", 5}}));
  EXPECT_EQ(runs[0].at("result"), 6);
  EXPECT_EQ(runs[0].at("states"), (Names{"Pending", "Running", "Completed"}));

  EXPECT_EQ(runs[1].at("task"), "add");
  EXPECT_EQ(runs[1].at("params"), (json{{"a", 6}, {"b", 10}}));
  EXPECT_EQ(runs[1].at("result"), 16);

  const json& boom = runs[2];
  EXPECT_EQ(boom.at("task"), "boom");
  EXPECT_EQ(boom.at("state").at("type"), "FAILED");
  EXPECT_EQ(boom.at("state").at("name"), "Failed");
  EXPECT_EQ(boom.at("states"), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(boom.at("error"), (json{{"type", "std::runtime_error"}, {"message", "boom"}}));
  EXPECT_EQ(boom.at("params"), json::object());

  const json& summary = report.at("summary");
  EXPECT_EQ(summary.at("task_runs"), 3);
  EXPECT_EQ(summary.at("by_state"), (json{{"Completed", 2}, {"Failed", 1}}));
  EXPECT_EQ(summary.at("never_started"), json::array());
}

TEST(CliReport, TaskRunReport) {
  TempDir dir;
  const ProcessResult r = run_host({"--plugin", kDemo, "--task", "add", "--params", R"({"a":2,"b":3})", "--runner",
                                    "fiber", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const json report = parse_json_file(dir.file("r.json"));
  EXPECT_EQ(report.at("runner"), "fiber");
  EXPECT_TRUE(report.at("flow").is_null()) << report.at("flow");
  ASSERT_EQ(report.at("task_runs").size(), 1u);
  const json& run = report.at("task_runs")[0];
  expect_run_shape(run);
  EXPECT_EQ(run.at("result"), 5);
  EXPECT_EQ(run.at("params"), (json{{"a", 2}, {"b", 3}}));
  EXPECT_EQ(report.at("summary").at("by_state"), (json{{"Completed", 1}}));
}

TEST(CliReport, FailedTaskRunReport) {
  TempDir dir;
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "kaput", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  const json run = parse_json_file(dir.file("r.json")).at("task_runs").at(0);
  expect_run_shape(run);
  EXPECT_EQ(run.at("states"), (Names{"Pending", "Running", "Failed"}));
  EXPECT_EQ(run.at("error"), (json{{"type", "std::runtime_error"}, {"message", "kaput on purpose"}}));
  EXPECT_EQ(run.at("state").at("message"), "Task run encountered an exception std::runtime_error: kaput on purpose");
}

TEST(CliReport, RetriedRunListsEveryState) {
  TempDir dir;
  write_file(
      dir.file("c.json"),
      json{{"plugins", json::array({kTasks})}, {"task", "flaky"}, {"tasks", {{"flaky", {{"retries", 1}}}}}}.dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const json run = parse_json_file(dir.file("r.json")).at("task_runs").at(0);
  expect_run_shape(run);
  EXPECT_EQ(run.at("run_count"), 2);
  EXPECT_EQ(run.at("states"), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(run.at("result"), (json{{"attempt", 2}}));
}

TEST(CliReport, ReportIsReplacedNotAppended) {
  TempDir dir;
  write_file(dir.file("r.json"), "old contents that are not JSON");
  const ProcessResult r =
      run_host({"--plugin", kDemo, "--task", "add", "--params", R"({"a":1,"b":1})", "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("task_runs").at(0).at("result"), 2);
}

}  // namespace
