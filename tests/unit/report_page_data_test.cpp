// The HTML report's data (cli/report_page_data.hpp): what a run becomes in the page, the
// texts cut to size at a character boundary, the cap on runs kept, and slots packed for runs
// the store recorded without threads.
#include "cli/report_page_data.hpp"

#include "base/output_files.hpp"

#include "scratch_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace rh::host {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;

json data_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string page = text.str();
  const std::string open = "<script id=\"rh-report-data\" type=\"application/json\">";
  const std::size_t begin = page.find(open);
  if (begin == std::string::npos) return json();
  const std::size_t from = begin + open.size();
  return json::parse(page.substr(from, page.find("</script>", from) - from));
}

ReportPageRun run_of(std::uint64_t no, StateId state) {
  ReportPageRun run;
  run.no = no;
  run.name = "run";
  run.task = no % 2 == 0 ? "even" : "odd";
  run.state = state;
  run.history = {{1000, StateId::Pending, ""}, {1010, StateId::Running, ""}, {1050, state, ""}};
  run.attempt_slots = {0};
  return run;
}

ReportPageFlow flow_at(std::int64_t start_us) {
  ReportPageFlow flow;
  flow.id = "0193";
  flow.name = "f-1";
  flow.flow = "f";
  flow.state = StateId::Completed;
  flow.start_us = start_us;
  flow.end_us = start_us + 100;
  flow.history = {{start_us, StateId::Pending, ""}, {start_us + 100, StateId::Completed, ""}};
  return flow;
}

TEST(ReportPageData, ARunBecomesARowOfTablesIndicesAndRelativeTimes) {
  testing::ScratchDir dir;
  ReportPageData data(dir.file("r.html"));
  const std::int32_t slot = data.slot("thread 1");
  EXPECT_EQ(data.slot("thread 2"), 1);
  EXPECT_EQ(data.slot("thread 1"), slot);
  ReportPageRun run = run_of(4, StateId::Completed);
  const std::string params = R"({"x":4})";
  const std::string result = "16";
  run.params = &params;
  run.result = &result;
  run.upstreams = {1, 2};
  run.history = {{1000, StateId::Pending, ""},
                 {1010, StateId::Running, ""},
                 {1020, StateId::AwaitingRetry, "retry 1 of 1"},
                 {1030, StateId::Retrying, ""},
                 {1050, StateId::Completed, ""}};
  run.attempt_slots = {1};  // the second attempt's slot is not known
  data.add(run, 1000);
  data.write(flow_at(1000), "run");

  const json page = data_of(dir.file("r.html"));
  EXPECT_EQ(page.at("slots"), json({"thread 1", "thread 2"}));
  EXPECT_EQ(page.at("tasks"), json({"even"}));
  const json& row = page.at("runs").at(0);
  const json& states = page.at("states");
  EXPECT_EQ(row.at(0), 4);
  EXPECT_EQ(row.at(2), 0);
  EXPECT_EQ(states.at(row.at(3).get<std::size_t>()), "Completed");
  EXPECT_EQ(row.at(4), params);
  EXPECT_EQ(row.at(5), result);
  EXPECT_TRUE(row.at(6).is_null());
  EXPECT_EQ(row.at(7).at(2).at(0), 20);
  EXPECT_EQ(states.at(row.at(7).at(2).at(1).get<std::size_t>()), "AwaitingRetry");
  EXPECT_EQ(row.at(7).at(2).at(2), "retry 1 of 1");
  EXPECT_EQ(row.at(7).at(0).size(), 2u) << "no message, no third element";
  EXPECT_EQ(row.at(8), json({1, 2}));
  ASSERT_EQ(row.at(9).size(), 2u);
  EXPECT_EQ(row.at(9).at(0).at(0), 10);
  EXPECT_EQ(row.at(9).at(0).at(1), 20);
  EXPECT_EQ(row.at(9).at(0).at(2), 1);
  EXPECT_EQ(states.at(row.at(9).at(0).at(3).get<std::size_t>()), "AwaitingRetry");
  EXPECT_EQ(row.at(9).at(1).at(2), -1);
  EXPECT_EQ(states.at(row.at(9).at(1).at(3).get<std::size_t>()), "Completed");
  EXPECT_EQ(page.at("flow").at("counts"), json({{"Completed", 1}}));
}

TEST(ReportPageData, LongTextsAreCutAtACharacterBoundarySayingHowLongTheyWere) {
  testing::ScratchDir dir;
  ReportPageData data(dir.file("r.html"));
  ReportPageRun run = run_of(1, StateId::Failed);
  // 1999 bytes, then a 2-byte character across the limit.
  std::string params = "{\"s\":\"" + std::string(1993, 'a') + "\xC3\xA9" + std::string(500, 'b') + "\"}";
  run.params = &params;
  run.error = "Bad: \xff\xfe not UTF-8 <!-- <script> </script>";
  data.add(run, 0);
  data.write(flow_at(0), "run");
  const json row = data_of(dir.file("r.html")).at("runs").at(0);
  const std::string cut = row.at(4);
  EXPECT_EQ(cut.substr(0, 1999), params.substr(0, 1999));
  EXPECT_THAT(cut, EndsWith("\u2026 (" + std::to_string(params.size()) + " bytes)"));
  EXPECT_EQ(cut.size(), 1999 + std::string("\u2026 (" + std::to_string(params.size()) + " bytes)").size());
  EXPECT_THAT(row.at(6).get<std::string>(), HasSubstr("not UTF-8 <!-- <script> </script>"))
      << "invalid bytes are replaced, not fatal; the page's escapes read back as the text";
}

TEST(ReportPageData, PastTheCapOnlyRunsThatDidNotCompleteAreKeptAndTheRestCounted) {
  testing::ScratchDir dir;
  ReportPageData data(dir.file("r.html"), 3);
  for (std::uint64_t no = 1; no <= 5; ++no) data.add(run_of(no, StateId::Completed), 0);
  data.add(run_of(6, StateId::Failed), 0);
  data.add(run_of(7, StateId::Cached), 0);
  data.write(flow_at(0), "run");
  const json page = data_of(dir.file("r.html"));
  std::vector<std::uint64_t> kept;
  for (const json& row : page.at("runs")) kept.push_back(row.at(0));
  EXPECT_THAT(kept, ElementsAre(1, 2, 3, 6));
  EXPECT_EQ(page.at("omitted_runs"), 3);
  EXPECT_EQ(page.at("flow").at("counts"), json({{"Completed", 5}, {"Failed", 1}, {"Cached", 1}}));
}

TEST(ReportPageData, AnEmptyRunStillMakesAPage) {
  testing::ScratchDir dir;
  ReportPageData data(dir.file("r.html"));
  data.write(flow_at(5), "store");
  const json page = data_of(dir.file("r.html"));
  EXPECT_EQ(page.at("runs"), json::array());
  EXPECT_EQ(page.at("source"), "store");
  EXPECT_EQ(page.at("flow").at("history").at(1).at(0), 100);
}

TEST(ReportPageData, AFileThatCannotBeWrittenIsRefusedAtOnce) {
  EXPECT_THROW(ReportPageData data("/proc/no-such-dir/r.html"), OutputFileError);
}

TEST(PackIntoSlots, EachAttemptTakesTheLowestSlotFreeWhenItStarts) {
  // Given out of order; [0,10) and [10,20) touch, so the second reuses the slot.
  const std::vector<std::pair<std::int64_t, std::int64_t>> intervals = {{10, 20}, {0, 10},  {5, 30},
                                                                        {12, 14}, {20, 25}, {31, 40}};
  EXPECT_THAT(pack_into_slots(intervals), ElementsAre(0, 0, 1, 2, 0, 0));
  EXPECT_TRUE(pack_into_slots({}).empty());
}

}  // namespace
}  // namespace rh::host
