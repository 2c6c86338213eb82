// JsonlEventSink (--events FILE): a real flow on the sequential runner, its events appended
// to a file, then the file read back: one JSON object per line in the documented shape
// (docs/events.md, "schema": 1), and every run's lines in the order of its state history.
#include "engine_harness.hpp"
#include "scratch_dir.hpp"

#include "events/jsonl_sink.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::host::EventBus;
using rh::host::JsonlEventSink;
using rh::testing::EngineHarness;
using rh::testing::ScratchDir;
using rh::testing::state_names;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct FlowOutcome {
  std::map<std::uint64_t, std::vector<std::string>> histories;  // state names by run id
  std::uint64_t flow_run_id = 0;
  std::uint64_t lines_written = 0;
};

// Runs a flow with a plain task, a task retried at once (Retrying) and one retried after a
// delay (AwaitingRetry), writing events to `path`.
FlowOutcome run_flow_with_sink(const std::string& path) {
  EngineHarness harness("sequential");
  EventBus& bus = harness.bus();
  std::atomic<int> now_calls{0};
  std::atomic<int> later_calls{0};
  harness.library().task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); });
  harness.library()
      .task("flaky_now",
            [&now_calls]() -> json {
              if (++now_calls == 1) throw std::runtime_error("first attempt fails");
              return "ok";
            })
      .retries(1);
  harness.library()
      .task("flaky_later",
            [&later_calls]() -> json {
              if (++later_calls == 1) throw std::runtime_error("first attempt fails");
              return "ok";
            })
      .retries(1)
      .retry_delay(0.01);
  harness.library().flow("pipeline", [](rh::FlowContext& flow, const json&) -> json {
    rh::Future sum = flow.submit("add", {{"a", 1}, {"b", 2}});
    rh::Future now = flow.submit("flaky_now", json::object());
    rh::Future later = flow.submit("flaky_later", json::object());
    return {{"sum", sum.result()}, {"now", now.result()}, {"later", later.result()}};
  });

  FlowOutcome outcome;
  {
    JsonlEventSink sink(bus, path);
    auto scope = harness.run_flow("pipeline");
    outcome.flow_run_id = scope->flow_run()->id();
    outcome.histories[outcome.flow_run_id] = state_names(*scope->flow_run());
    for (const auto& run : scope->runs()) outcome.histories[run->id()] = state_names(*run);
    harness.stop();
    outcome.lines_written = sink.lines_written();
    EXPECT_EQ(sink.write_errors(), 0u);
  }  // the sink unsubscribes here: no handler runs after this point
  return outcome;
}

class JsonlSink : public ::testing::Test {
 protected:
  void SetUp() override {
    outcome_ = run_flow_with_sink(path_);
    histories_ = outcome_.histories;
  }

  ScratchDir dir_;
  const std::string path_ = dir_.file("events.jsonl");
  FlowOutcome outcome_;
  std::map<std::uint64_t, std::vector<std::string>> histories_;
};

TEST_F(JsonlSink, EveryLineIsOneEventObject) {
  const auto lines = read_lines(path_);
  std::size_t expected = 0;
  for (const auto& [id, history] : histories_) expected += history.size();
  ASSERT_EQ(histories_.size(), 4u);  // the flow run and three task runs
  ASSERT_EQ(lines.size(), expected) << "one line per state transition";
  EXPECT_EQ(outcome_.lines_written, expected);

  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    const json event = json::parse(line);  // throws (fails the test) if a line is not JSON
    ASSERT_TRUE(event.is_object());
    EXPECT_EQ(event.at("schema"), 1);
    EXPECT_TRUE(event.at("id").is_number_unsigned());
    EXPECT_THAT(event.at("time").get<std::string>(),
                ::testing::MatchesRegex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z)"));

    const json& run = event.at("run");
    EXPECT_TRUE(run.at("id").is_number_unsigned());
    EXPECT_FALSE(run.at("name").get<std::string>().empty());
    const std::string task = run.at("task").get<std::string>();
    EXPECT_THAT(task, ::testing::AnyOf("pipeline", "add", "flaky_now", "flaky_later"));
    EXPECT_TRUE(run.at("run_count").is_number_unsigned());
    const std::string kind = run.at("kind").get<std::string>();
    EXPECT_EQ(kind, task == "pipeline" ? "flow" : "task");

    const json& state = event.at("state");
    const std::string name = state.at("name").get<std::string>();
    EXPECT_EQ(event.at("event"), (kind == "flow" ? "flow-run." : "task-run.") + name);
    const auto id = rh::host::state_from_name(name);
    ASSERT_TRUE(id.has_value()) << "unknown state name " << name;
    EXPECT_EQ(state.at("type"), std::string(rh::host::state_info(*id).type_name));
    EXPECT_TRUE(state.at("message").is_string());
    EXPECT_EQ(state.contains("scheduled_time"), name == "AwaitingRetry");

    if (kind == "task") {
      EXPECT_EQ(event.at("flow_run_id"), outcome_.flow_run_id);
    } else {
      EXPECT_EQ(run.at("id"), outcome_.flow_run_id);
    }
  }
}

TEST_F(JsonlSink, EachRunsEventsFollowItsStateHistory) {
  std::map<std::uint64_t, std::vector<json>> by_run;
  for (const std::string& line : read_lines(path_)) {
    const json event = json::parse(line);
    by_run[event.at("run").at("id").get<std::uint64_t>()].push_back(event);
  }
  ASSERT_EQ(by_run.size(), histories_.size());
  for (const auto& [run_id, events] : by_run) {
    SCOPED_TRACE("run " + std::to_string(run_id));
    ASSERT_EQ(histories_.count(run_id), 1u);
    std::vector<std::string> names;
    for (const json& event : events) names.push_back(event.at("state").at("name").get<std::string>());
    EXPECT_EQ(names, histories_.at(run_id));
    // previous_state: null for the first event, then the state of the line before.
    EXPECT_TRUE(events.front().at("previous_state").is_null());
    for (std::size_t i = 1; i < events.size(); ++i) {
      const json& previous = events[i].at("previous_state");
      ASSERT_TRUE(previous.is_object());
      EXPECT_EQ(previous.at("name"), events[i - 1].at("state").at("name"));
      EXPECT_EQ(previous.at("type"), events[i - 1].at("state").at("type"));
      EXPECT_TRUE(previous.at("message").is_string());
      EXPECT_GT(events[i].at("id").get<std::uint64_t>(), events[i - 1].at("id").get<std::uint64_t>());
      EXPECT_GE(events[i].at("time").get<std::string>(), events[i - 1].at("time").get<std::string>());
    }
    // run_count: 0 before the first attempt, and the final line has the run's attempts.
    EXPECT_EQ(events.front().at("run").at("run_count"), 0);
  }
  // The retried runs show their retry path.
  for (const auto& [run_id, history] : histories_) {
    const auto task = by_run.at(run_id).front().at("run").at("task").get<std::string>();
    if (task == "flaky_now") {
      EXPECT_THAT(history, ::testing::Contains("Retrying"));
    }
    if (task == "flaky_later") {
      EXPECT_THAT(history, ::testing::Contains("AwaitingRetry"));
    }
    if (task == "flaky_now" || task == "flaky_later") {
      EXPECT_EQ(by_run.at(run_id).back().at("run").at("run_count"), 2);
    }
  }
}

TEST_F(JsonlSink, JqAcceptsEveryLine) {
  if (std::system("command -v jq > /dev/null 2>&1") != 0) GTEST_SKIP() << "jq is not installed";
  const std::size_t count = read_lines(path_).size();
  ASSERT_GT(count, 0u);
  // -R reads each line as text and fromjson parses it alone, so an object split across lines
  // or two objects on one line fail; -e turns a false result into a failing exit status.
  const std::string program = "split(\"\\n\") | map(select(length > 0)) | length == " + std::to_string(count) +
                              " and all(.[]; fromjson | type == \"object\" and .schema == 1 and (.event | "
                              "test(\"^(task|flow)-run\\\\.[A-Za-z]+$\")))";
  const std::string command = "jq -R -s -e '" + program + "' '" + path_ + "' > /dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(JsonlSinkFile, AppendsToAnExistingFile) {
  ScratchDir dir;
  const std::string path = dir.write("events.jsonl", "{\"kept\":true}\n");
  EventBus bus;
  {
    JsonlEventSink sink(bus, path);
    rh::host::TaskRunEvent event;
    event.run_id = 3;
    event.run_name = "r";
    event.task_name = "t";
    event.state = rh::host::StateId::Pending;
    bus.publish(event);
    EXPECT_EQ(sink.lines_written(), 1u);
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"kept\":true}");
  const json event = json::parse(lines[1]);
  EXPECT_EQ(event.at("event"), "task-run.Pending");
  EXPECT_TRUE(event.at("previous_state").is_null());
  EXPECT_TRUE(event.at("flow_run_id").is_null());
}

TEST(JsonlSinkFile, UnopenableFileIsNamed) {
  ScratchDir dir;
  const std::string path = dir.file("no/such/dir/events.jsonl");
  EventBus bus;
  try {
    JsonlEventSink sink(bus, path);
    FAIL() << "opened " << path;
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::StartsWith("cannot write the events file '" + path + "': "));
  }
  EXPECT_FALSE(bus.has_subscribers());
}

}  // namespace
