// --events FILE: one JSON object per line for every state change, appended across
// invocations, and readable while the host still runs.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using Names = std::vector<std::string>;

constexpr const char* kJq = "/usr/bin/jq";

// Checks one event line: schema 1, "event" is "<kind>-run.<state name>".
void expect_event_shape(const json& event) {
  SCOPED_TRACE(event.dump());
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event.at("schema"), 1);
  const std::string kind = event.at("run").at("kind");
  EXPECT_TRUE(kind == "task" || kind == "flow");
  EXPECT_EQ(event.at("event"), kind + "-run." + event.at("state").at("name").get<std::string>());
  EXPECT_TRUE(event.at("id").is_number_unsigned());
  EXPECT_TRUE(event.at("time").is_string());
  EXPECT_TRUE(event.at("run").at("id").is_number_unsigned());
  EXPECT_TRUE(event.at("run").at("name").is_string());
  EXPECT_TRUE(event.at("run").at("task").is_string());
  EXPECT_TRUE(event.at("state").at("type").is_string());
}

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> events;
  for (const std::string& line : lines_of(text)) events.push_back(json::parse(line));
  return events;
}

TEST(CliEvents, EveryLineIsAnEventObject) {
  TempDir dir;
  const std::string path = dir.file("events.jsonl");
  const ProcessResult r = run_host({"--plugin", kDemo, "--events", path});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  const std::string text = read_file(path);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::vector<std::string> lines = lines_of(text);
  // The flow run and three task runs, three states each.
  EXPECT_EQ(lines.size(), 12u) << text;
  std::size_t task_events = 0;
  for (const std::string& line : lines) {
    ASSERT_TRUE(json::accept(line)) << line;
    const json event = json::parse(line);
    expect_event_shape(event);
    if (event.at("run").at("kind") == "task") {
      ++task_events;
      EXPECT_THAT(event.at("event").get<std::string>(), ::testing::StartsWith("task-run."));
    }
  }
  EXPECT_EQ(task_events, 9u);
}

TEST(CliEvents, JqAcceptsEveryLine) {
  if (!std::filesystem::exists(kJq)) GTEST_SKIP() << kJq << " is not installed";
  TempDir dir;
  const std::string path = dir.file("events.jsonl");
  const ProcessResult r = run_host({"--plugin", kDemo, "--runner", "fiber", "--events", path});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  const std::size_t count = lines_of(read_file(path)).size();
  ASSERT_GT(count, 0u);

  // -R reads line by line; fromjson fails (exit 5) on any line that is not one JSON value.
  const ProcessResult jq = run_process(
      {kJq, "-R", "-e", "-c",
       R"(fromjson | type == "object" and .schema == 1 and (.event | test("^(task|flow)-run\\.[A-Za-z]+$")))", path});
  EXPECT_EQ(jq.exit_code, 0) << describe(jq);
  EXPECT_EQ(jq.out, [&] {
    std::string all_true;
    for (std::size_t i = 0; i < count; ++i) all_true += "true\n";
    return all_true;
  }()) << describe(jq);

  // And each line on its own, exactly as `jq -e .` sees it.
  TempDir lines_dir;
  std::size_t index = 0;
  for (const std::string& line : lines_of(read_file(path))) {
    const std::string one = lines_dir.file("line" + std::to_string(index++) + ".json");
    write_file(one, line + "\n");
    const ProcessResult single = run_process({kJq, "-e", ".", one});
    EXPECT_EQ(single.exit_code, 0) << line << "\n" << describe(single);
  }
}

TEST(CliEvents, EventsOfARunAreInStateOrderAndMatchTheReport) {
  TempDir dir;
  write_file(
      dir.file("c.json"),
      json{{"plugins", json::array({kTasks})}, {"task", "flaky"}, {"tasks", {{"flaky", {{"retries", 1}}}}}}.dump());
  const ProcessResult r =
      run_host({"--config", dir.file("c.json"), "--events", dir.file("e.jsonl"), "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  std::map<std::uint64_t, Names> states_by_run;
  std::uint64_t last_id = 0;
  std::string last_time;
  for (const json& event : parse_lines(read_file(dir.file("e.jsonl")))) {
    expect_event_shape(event);
    EXPECT_GT(event.at("id").get<std::uint64_t>(), last_id);
    last_id = event.at("id");
    EXPECT_GE(event.at("time").get<std::string>(), last_time);
    last_time = event.at("time");
    states_by_run[event.at("run").at("id")].push_back(event.at("state").at("name"));
  }
  const json report = parse_json_file(dir.file("r.json"));
  ASSERT_EQ(states_by_run.size(), report.at("task_runs").size());
  for (const json& run : report.at("task_runs")) {
    EXPECT_EQ(states_by_run[run.at("id")], run.at("states").get<Names>()) << run.dump();
  }
  EXPECT_EQ(states_by_run.begin()->second, (Names{"Pending", "Running", "Retrying", "Completed"}));
}

TEST(CliEvents, DemoEventsFollowEachRunsStates) {
  TempDir dir;
  const ProcessResult r =
      run_host({"--plugin", kDemo, "--runner", "tbb", "--events", dir.file("e.jsonl"), "--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  std::map<std::uint64_t, Names> states_by_run;
  for (const json& event : parse_lines(read_file(dir.file("e.jsonl")))) {
    states_by_run[event.at("run").at("id")].push_back(event.at("state").at("name"));
  }
  const json report = parse_json_file(dir.file("r.json"));
  EXPECT_EQ(states_by_run[report.at("flow").at("id")], (Names{"Pending", "Running", "Completed"}));
  for (const json& run : report.at("task_runs")) {
    EXPECT_EQ(states_by_run[run.at("id")], run.at("states").get<Names>()) << run.dump();
  }
}

TEST(CliEvents, SecondInvocationAppends) {
  TempDir dir;
  const std::string path = dir.file("events.jsonl");
  const std::vector<std::string> args = {"--plugin", kDemo, "--runner", "sequential", "--events", path};
  ASSERT_EQ(run_host(args).exit_code, 1);
  const std::string first = read_file(path);
  const std::size_t first_count = lines_of(first).size();
  ASSERT_GT(first_count, 0u);

  ASSERT_EQ(run_host(args).exit_code, 1);
  const std::string both = read_file(path);
  EXPECT_EQ(both.compare(0, first.size(), first), 0) << "the first invocation's lines were changed";
  EXPECT_EQ(lines_of(both).size(), 2 * first_count);
  for (const json& event : parse_lines(both)) expect_event_shape(event);
}

TEST(CliEvents, FileIsReadableWhileTheHostRuns) {
  TempDir dir;
  const std::string path = dir.file("events.jsonl");
  std::vector<json> seen_while_running;
  std::string partial_tail;

  ProcessOptions options;
  options.timeout_seconds = 60;
  // Once both sleepers run, read the file (the host is still running), then stop the host.
  ProcessStep step;
  step.stream = Stream::out;
  step.marker = "SLEEPERS RUNNING";
  step.signal = SIGINT;
  step.action = [&] {
    // The sleepers' Running events may land just after the flow saw the state: wait for
    // them (a hang guard, not a timing check).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      const std::string text = read_file(path);
      const std::size_t complete = text.rfind('\n');
      std::vector<json> events;
      for (const std::string& line : lines_of(complete == std::string::npos ? "" : text.substr(0, complete + 1))) {
        events.push_back(json::accept(line) ? json::parse(line) : json(line));
      }
      std::size_t naps_running = 0;
      for (const json& e : events) {
        if (e.is_object() && e.value("event", "") == "task-run.Running" && e.at("run").at("task") == "nap") {
          ++naps_running;
        }
      }
      if (naps_running == 2 || std::chrono::steady_clock::now() > give_up) {
        seen_while_running = events;
        partial_tail = complete == std::string::npos ? text : text.substr(complete + 1);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  options.steps = {step};
  const ProcessResult r = run_host(
      {"--plugin", kSleepers, "--flow", "sleepers", "--runner", "fiber", "-w", "4", "--events", path}, options);
  ASSERT_EQ(r.steps_done, 1u) << describe(r);
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);

  ASSERT_FALSE(seen_while_running.empty());
  std::size_t naps_running = 0;
  for (const json& event : seen_while_running) {
    ASSERT_TRUE(event.is_object()) << "not a JSON object: " << event;
    expect_event_shape(event);
    if (event.at("event") == "task-run.Running" && event.at("run").at("task") == "nap") ++naps_running;
  }
  EXPECT_EQ(naps_running, 2u);
  EXPECT_EQ(seen_while_running.front().at("event"), "flow-run.Pending");
  EXPECT_EQ(partial_tail, "") << "a line was half written while the host ran";

  // The lines read while running are the start of the final file.
  const std::vector<json> final_events = parse_lines(read_file(path));
  ASSERT_GE(final_events.size(), seen_while_running.size());
  for (std::size_t i = 0; i < seen_while_running.size(); ++i) EXPECT_EQ(final_events[i], seen_while_running[i]);
  EXPECT_GT(final_events.size(), seen_while_running.size()) << "the interrupt's Cancelled events are missing";
}

}  // namespace
