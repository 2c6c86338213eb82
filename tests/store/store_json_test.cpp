// The history and counts texts (store_json.hpp): round trips of any message, and bad text
// reported with where it goes wrong.
#include "store/store_json.hpp"

#include <gtest/gtest.h>

namespace {

using namespace rh::host;
using namespace rh::host::detail;

std::string history_text(const std::vector<StateRecord>& history) {
  std::string out;
  append_history_json(out, history);
  return out;
}

TEST(StoreJson, HistoryIsCompactAndLeavesOutEmptyMessages) {
  EXPECT_EQ(history_text({}), "[]");
  EXPECT_EQ(history_text({{1700000000000000, StateId::Pending, ""}, {1700000000000123, StateId::Failed, "boom"}}),
            R"([[1700000000000000,"Pending"],[1700000000000123,"Failed","boom"]])");
}

TEST(StoreJson, AnyMessageSurvivesTheRoundTrip) {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte += static_cast<char>(c);
  const std::vector<StateRecord> history = {
      {-5, StateId::Pending, "quote \" backslash \\ newline \n tab \t"},
      {0, StateId::Running, every_byte},
      {INT64_MAX, StateId::Cancelled, std::string("nul \0 inside", 12)},
      {7, StateId::NotReady, "ünïcödé ✓ \xff\xfe not UTF-8"},
  };
  const std::vector<StateRecord> back = parse_history_json(history_text(history));
  ASSERT_EQ(back.size(), history.size());
  for (std::size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(back[i].time_us, history[i].time_us);
    EXPECT_EQ(back[i].state, history[i].state);
    EXPECT_EQ(back[i].message, history[i].message);
  }
}

TEST(StoreJson, HistoryReadsEscapesItDoesNotWrite) {
  const auto back = parse_history_json(R"([[1,"Completed","\u00e9\/\b\f\ud83d\ude00"]])");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].message, "\xc3\xa9/\b\f\xf0\x9f\x98\x80");
}

TEST(StoreJson, BadHistorySaysWhere) {
  auto error_of = [](std::string_view text) {
    try {
      parse_history_json(text);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("[[1,\"Pending\"]"), "bad history text at byte 14: expected ]");
  EXPECT_EQ(error_of("[[x,\"Pending\"]]"), "bad history text at byte 2: expected an integer");
  EXPECT_EQ(error_of("[[1,\"Sleeping\"]]"), "unknown state 'Sleeping'");
  EXPECT_EQ(error_of("[] "), "bad history text at byte 2: expected the end");
  EXPECT_EQ(error_of("[[1,\"Pending\",\"\\q\"]]"), "bad history text at byte 17: expected an escape");
  EXPECT_TRUE(parse_history_json("").empty());
}

TEST(StoreJson, CountsRoundTrip) {
  StateCounts counts{};
  EXPECT_EQ(counts_json(counts), "{}");
  counts[static_cast<std::size_t>(StateId::Completed)] = 12;
  counts[static_cast<std::size_t>(StateId::Failed)] = 1;
  EXPECT_EQ(counts_json(counts), R"({"Completed":12,"Failed":1})");
  EXPECT_EQ(parse_counts_json(counts_json(counts)), counts);
  EXPECT_EQ(parse_counts_json(""), StateCounts{});
  EXPECT_THROW(parse_counts_json(R"({"Completed":-1})"), std::runtime_error);
  EXPECT_THROW(parse_counts_json(R"({"Completed":1)"), std::runtime_error);
}

}  // namespace
