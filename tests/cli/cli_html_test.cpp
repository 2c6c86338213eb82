// --html FILE and `runner-host report --html FILE ID|last`: the data inside the page checked
// against the JSON report of the same run (every run, its states, attempts, slots and
// dependency edges), the same page read back from the store, and the refusals. What the page
// does with the data is tested in a browser (tests/browser).
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kDataOpen = "<script id=\"rh-report-data\" type=\"application/json\">";

// The JSON document a page carries.
json page_data(const std::string& path) {
  const std::string page = read_file(path);
  const std::size_t open = page.find(kDataOpen);
  if (open == std::string::npos) {
    ADD_FAILURE() << "no data element in " << path;
    return json();
  }
  const std::size_t begin = open + std::string(kDataOpen).size();
  const std::size_t end = page.find("</script>", begin);
  return json::parse(page.substr(begin, end - begin));
}

std::string state_at(const json& data, const json& index) { return data.at("states").at(index.get<std::size_t>()); }

// The states of a page run's history, by name.
std::vector<std::string> history_states(const json& data, const json& run) {
  std::vector<std::string> states;
  for (const json& entry : run.at(7)) states.push_back(state_at(data, entry.at(1)));
  return states;
}

std::map<std::uint64_t, json> runs_by_no(const json& data) {
  std::map<std::uint64_t, json> runs;
  for (const json& run : data.at("runs")) runs[run.at(0).get<std::uint64_t>()] = run;
  return runs;
}

// No two attempts of one slot overlap.
void expect_slots_never_overlap(const json& data) {
  std::map<int, std::vector<std::pair<std::int64_t, std::int64_t>>> by_slot;
  for (const json& run : data.at("runs")) {
    for (const json& attempt : run.at(9)) {
      const int slot = attempt.at(2);
      ASSERT_GE(slot, 0) << run;
      ASSERT_LT(slot, static_cast<int>(data.at("slots").size())) << run;
      by_slot[slot].emplace_back(attempt.at(0), attempt.at(1));
    }
  }
  for (auto& [slot, spans] : by_slot) {
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) EXPECT_LE(spans[i - 1].second, spans[i].first) << "slot " << slot;
  }
}

const std::vector<std::string> kShowcase = {"--plugin", kReportTasks, "--flow",        "showcase",
                                            "--runner", "tbb",        "--max-workers", "2"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(CliHtml, ThePageHoldsEveryRunOfTheReportWithItsStatesAttemptsSlotsAndEdges) {
  TempDir dir;
  const ProcessResult r =
      run_host(with(kShowcase, {"--no-store", "--html", dir.file("report.html"), "--report", dir.file("report.json")}));
  ASSERT_EQ(r.exit_code, 1) << describe(r);  // boom fails on purpose
  const json report = parse_json_file(dir.file("report.json"));
  const json data = page_data(dir.file("report.html"));

  EXPECT_EQ(data.at("format"), 1);
  EXPECT_EQ(data.at("source"), "run");
  EXPECT_THAT(data.at("generator").get<std::string>(), StartsWith("runner-host "));
  const json& flow = data.at("flow");
  EXPECT_EQ(flow.at("flow"), "showcase");
  EXPECT_EQ(flow.at("is_flow"), true);
  EXPECT_EQ(flow.at("name"), report.at("flow").at("name"));
  EXPECT_EQ(flow.at("state"), report.at("flow").at("state").at("name"));
  EXPECT_EQ(flow.at("runner"), "tbb");
  EXPECT_THAT(flow.at("command_line").get<std::string>(), HasSubstr("--html"));
  EXPECT_EQ(flow.at("history").at(0).at(0), 0) << "times count from the flow run's first state";
  EXPECT_GT(flow.at("end_us").get<std::int64_t>(), flow.at("start_us").get<std::int64_t>());
  EXPECT_EQ(data.at("omitted_runs"), 0);

  const json& task_runs = report.at("task_runs");
  ASSERT_EQ(data.at("runs").size(), task_runs.size());
  const std::map<std::uint64_t, json> page_runs = runs_by_no(data);
  std::map<std::string, std::uint64_t> counts;
  std::size_t attempts = 0, edges = 0;
  for (const json& expected : task_runs) {
    SCOPED_TRACE(expected.at("name").get<std::string>());
    const json& run = page_runs.at(expected.at("id").get<std::uint64_t>());
    EXPECT_EQ(run.at(1), expected.at("name"));
    EXPECT_EQ(data.at("tasks").at(run.at(2).get<std::size_t>()), expected.at("task"));
    EXPECT_EQ(state_at(data, run.at(3)), expected.at("state").at("name"));
    EXPECT_EQ(json::parse(run.at(4).get<std::string>()), expected.at("params"));
    EXPECT_EQ(history_states(data, run), expected.at("states").get<std::vector<std::string>>());
    EXPECT_EQ(run.at(8), expected.at("inputs"));
    ASSERT_EQ(run.at(9).size(), expected.at("run_count").get<std::size_t>());
    for (const json& attempt : run.at(9))
      EXPECT_LE(attempt.at(0).get<std::int64_t>(), attempt.at(1).get<std::int64_t>());
    if (expected.contains("error")) {
      EXPECT_EQ(run.at(6), expected.at("error").at("type").get<std::string>() + ": " +
                               expected.at("error").at("message").get<std::string>());
    } else {
      EXPECT_TRUE(run.at(6).is_null());
      EXPECT_FALSE(run.at(5).is_null());
    }
    ++counts[expected.at("state").at("name")];
    attempts += run.at(9).size();
    edges += run.at(8).size();
  }
  EXPECT_EQ(flow.at("counts"), json(counts));
  EXPECT_EQ(counts["Cached"], 1u);
  EXPECT_EQ(counts["Failed"], 1u);
  EXPECT_EQ(edges, 12u);                      // six totals, two squares each
  EXPECT_EQ(attempts, task_runs.size() + 1);  // flaky ran twice; the Cached run looked up its key in an attempt
  expect_slots_never_overlap(data);

  // "</" inside the data cannot end the script element early.
  const std::string page = read_file(dir.file("report.html"));
  EXPECT_THAT(page, Not(HasSubstr("boom </script>")));
  EXPECT_THAT(page, HasSubstr("boom <\\/script>"));
  EXPECT_THAT(page, Not(HasSubstr("<script src"))) << "the page loads nothing";
}

TEST(CliHtml, AStoredRunGivesTheSamePageWithAttemptsPackedIntoSlots) {
  TempDir dir;
  const std::string store = dir.file("store.db");
  const ProcessResult r = run_host(with(kShowcase, {"--store", store, "--html", dir.file("live.html")}));
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  const ProcessResult written = run_host({"report", "last", "--html", dir.file("stored.html"), "--store", store});
  ASSERT_EQ(written.exit_code, 0) << describe(written);
  EXPECT_THAT(written.out, HasSubstr("wrote " + dir.file("stored.html")));
  EXPECT_EQ(written.err, "");

  const json live = page_data(dir.file("live.html"));
  const json stored = page_data(dir.file("stored.html"));
  EXPECT_EQ(stored.at("source"), "store");
  EXPECT_EQ(stored.at("flow").at("id"), live.at("flow").at("id"));
  EXPECT_EQ(stored.at("flow").at("state"), live.at("flow").at("state"));
  EXPECT_EQ(stored.at("flow").at("command_line"), live.at("flow").at("command_line"));
  EXPECT_EQ(stored.at("flow").at("counts"), live.at("flow").at("counts"));
  const std::map<std::uint64_t, json> live_runs = runs_by_no(live);
  const std::map<std::uint64_t, json> stored_runs = runs_by_no(stored);
  ASSERT_EQ(stored_runs.size(), live_runs.size());
  for (const auto& [no, run] : live_runs) {
    SCOPED_TRACE(run.at(1).get<std::string>());
    const json& other = stored_runs.at(no);
    EXPECT_EQ(other.at(1), run.at(1));
    EXPECT_EQ(state_at(stored, other.at(3)), state_at(live, run.at(3)));
    EXPECT_EQ(history_states(stored, other), history_states(live, run));
    EXPECT_EQ(other.at(8), run.at(8)) << "the dependency edges are in the store";
    EXPECT_EQ(other.at(9).size(), run.at(9).size());
  }
  for (const json& slot : stored.at("slots")) EXPECT_THAT(slot.get<std::string>(), StartsWith("slot "));
  expect_slots_never_overlap(stored);
}

TEST(CliHtml, APathThatCannotBeWrittenIsRefusedBeforeRunning) {
  const std::string line =
      expect_usage_error(run_host(with(kShowcase, {"--no-store", "--html", "/proc/no-such-dir/r.html"})));
  EXPECT_THAT(line, HasSubstr("runner-host: cannot write the HTML report '/proc/no-such-dir/r.html': "));
}

TEST(CliHtml, ReportNamesWhatIsMissing) {
  TempDir dir;
  EXPECT_THAT(
      expect_usage_error(run_host({"report", "last", "--html", dir.file("r.html"), "--store", dir.file("none.db")})),
      HasSubstr(dir.file("none.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.html")));

  const std::string store = dir.file("store.db");
  ASSERT_EQ(run_host(with(kShowcase, {"--store", store})).exit_code, 1);
  EXPECT_THAT(expect_usage_error(run_host({"report", "ffffffff", "--html", dir.file("r.html"), "--store", store})),
              HasSubstr("ffffffff"));
  const ProcessResult no_html = run_host({"report", "last", "--store", store});
  EXPECT_EQ(no_html.exit_code, 2);
  EXPECT_THAT(no_html.err, StartsWith("runner-host: --html is required\n"));
  EXPECT_THAT(expect_usage_error(run_host({"report", "last", "--html", "/proc/no-such-dir/r.html", "--store", store})),
              HasSubstr("the HTML report"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.html")));
}

TEST(CliHtml, AConfigFileCanAskForThePage) {
  TempDir dir;
  write_file(dir.file("c.json"),
             json{{"plugins", {kReportTasks}}, {"flow", "showcase"}, {"html", "out.html"}, {"store", nullptr}}.dump());
  ASSERT_EQ(run_host({"--config", dir.file("c.json")}).exit_code, 1);
  EXPECT_EQ(page_data(dir.file("out.html")).at("flow").at("flow"), "showcase") << "relative to the config file";
}

}  // namespace
