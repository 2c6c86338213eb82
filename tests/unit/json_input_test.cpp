// parse_json_input and the message helpers of base/json_input.hpp: JSON from outside the
// process is parsed within the documented limits (size, nesting, numbers), every refusal says
// where in the document it is, and what a message quotes from an input stays one short line.
#include "base/json_input.hpp"
#include "base/limits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using json = nlohmann::json;
using rh::host::json_excerpt;
using rh::host::JsonInputError;
using rh::host::kMaxJsonDepth;
using rh::host::member_path;
using rh::host::one_line;
using rh::host::parse_json_input;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Kind = JsonInputError::Kind;

std::string nested_lists(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

JsonInputError refusal(const std::string& text, std::size_t max_bytes = rh::host::kMaxJsonInputBytes) {
  try {
    parse_json_input(text, max_bytes);
  } catch (const JsonInputError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << text.substr(0, 200);
  return JsonInputError(Kind::Syntax, {}, {});
}

TEST(JsonInput, ParsesWhatNlohmannParses) {
  EXPECT_EQ(parse_json_input(R"({"a": [1, 2.5, "x", null, true], "b": {"c": -0.0}})"),
            json::parse(R"({"a": [1, 2.5, "x", null, true], "b": {"c": -0.0}})"));
  EXPECT_EQ(parse_json_input("18446744073709551615"), json(18446744073709551615ull));
  EXPECT_EQ(parse_json_input("1.7976931348623157e308"), json(1.7976931348623157e308));
}

TEST(JsonInput, NestingUpToTheLimitIsAccepted) {
  EXPECT_EQ(kMaxJsonDepth, 64u);
  const json parsed = parse_json_input(nested_lists(kMaxJsonDepth));
  EXPECT_EQ(parsed.dump(), nested_lists(kMaxJsonDepth));
}

TEST(JsonInput, NestingBeyondTheLimitIsRefusedWithItsPath) {
  const JsonInputError e = refusal(nested_lists(kMaxJsonDepth + 1));
  EXPECT_EQ(e.kind(), Kind::TooDeep);
  EXPECT_EQ(e.reason(), "nested deeper than 64 levels (the limit)");
  EXPECT_EQ(e.path(), "[0][0][0][0][0][0][0][0]...");  // the first levels, then elided

  const JsonInputError in_object = refusal(R"({"params": {"items": [1, )" + nested_lists(63) + "]}}");
  EXPECT_EQ(in_object.kind(), Kind::TooDeep);
  EXPECT_THAT(in_object.path(), StartsWith("params.items[1][0][0]"));
  EXPECT_THAT(in_object.what(), StartsWith("params.items[1][0]"));
  EXPECT_THAT(in_object.what(), HasSubstr(": nested deeper than 64 levels"));
}

TEST(JsonInput, NestingFarBeyondTheLimitIsRefusedWithoutRecursion) {
  // What crashed the host before: a 100,000-deep document (dumped recursively, it overflowed
  // the stack).
  EXPECT_EQ(refusal(nested_lists(100000)).kind(), Kind::TooDeep);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a": )";
  EXPECT_EQ(refusal(objects).kind(), Kind::TooDeep);
}

TEST(JsonInput, NumberOutOfRangeIsRefusedWithItsPath) {
  // nlohmann reports these as out_of_range (not parse_error), which aborted the host.
  const JsonInputError member = refusal(R"({"params": {"x": 1e400}})");
  EXPECT_EQ(member.kind(), Kind::NumberOutOfRange);
  EXPECT_EQ(member.path(), "params.x");
  EXPECT_EQ(member.reason(), "number 1e400 is out of range (no double holds it)");
  EXPECT_EQ(std::string(member.what()), "params.x: number 1e400 is out of range (no double holds it)");

  const JsonInputError element = refusal(R"({"retry_delay": [1, 2, -1e400]})");
  EXPECT_EQ(element.path(), "retry_delay[2]");
  EXPECT_THAT(element.reason(), HasSubstr("-1e400"));

  const JsonInputError root = refusal("1e400");
  EXPECT_EQ(root.path(), "");
  EXPECT_EQ(std::string(root.what()), "number 1e400 is out of range (no double holds it)");

  // An integer too long for any integer type is read as a double, and overflows too; the
  // message quotes only its start.
  const JsonInputError digits = refusal("[" + std::string(400, '9') + "]");
  EXPECT_EQ(digits.kind(), Kind::NumberOutOfRange);
  EXPECT_EQ(digits.reason(), "number " + std::string(40, '9') + "... is out of range (no double holds it)");
}

TEST(JsonInput, SizeBeyondTheLimitIsRefusedBeforeParsing) {
  const JsonInputError e = refusal("[1, 2, 3]", 8);
  EXPECT_EQ(e.kind(), Kind::TooLarge);
  EXPECT_EQ(e.reason(), "is larger than the limit of 8 bytes");
  EXPECT_EQ(parse_json_input("[1, 2]", 8), json::parse("[1, 2]"));
  EXPECT_EQ(rh::host::kMaxJsonInputBytes, 16u * 1024 * 1024);
}

TEST(JsonInput, SyntaxErrorsKeepNlohmannsMessageOnOneShortLine) {
  const JsonInputError e = refusal(R"({"a": tru})");
  EXPECT_EQ(e.kind(), Kind::Syntax);
  EXPECT_THAT(e.reason(), StartsWith("[json.exception.parse_error.101] parse error at line 1, column "));
  EXPECT_THAT(e.reason(), HasSubstr("tru}'"));
  EXPECT_EQ(e.path(), "a");

  // nlohmann quotes the token it read: here 100,000 bytes of an unterminated string.
  const JsonInputError long_token = refusal("\"" + std::string(100000, 'x'));
  EXPECT_LE(long_token.reason().size(), 303u);
  EXPECT_THAT(long_token.reason(), ::testing::EndsWith("..."));
  // ... and bytes that are not UTF-8 as they were.
  const JsonInputError bad_byte = refusal("[\"a\xff\"]");
  EXPECT_THAT(bad_byte.reason(), HasSubstr("last read: '\"a?'"));
  EXPECT_EQ(bad_byte.reason().find('\xff'), std::string::npos);
}

TEST(JsonInput, ExcerptCutsLongValuesAtACharacterBoundary) {
  EXPECT_EQ(json_excerpt(json{{"a", 1}}), R"({"a":1})");
  const std::string excerpt = json_excerpt(json(std::string(200, 'x')), 20);
  EXPECT_EQ(excerpt, "\"" + std::string(19, 'x') + "...");
  // "é" is two bytes: a cut inside it keeps neither.
  EXPECT_EQ(json_excerpt(json("\xc3\xa9\xc3\xa9"), 4), "\"\xc3\xa9...");
  // Text that is not UTF-8 (never from the parser, but from code) does not throw.
  EXPECT_EQ(json_excerpt(json(std::string("a\xff"))), "\"a\xef\xbf\xbd\"");
}

TEST(JsonInput, MemberPathQuotesKeysThatAreNotPlainWords) {
  EXPECT_EQ(member_path("", "tasks"), "tasks");
  EXPECT_EQ(member_path("tasks", "my-task_2"), "tasks.my-task_2");
  EXPECT_EQ(member_path("tasks", "a b"), R"(tasks["a b"])");
  EXPECT_EQ(member_path("log", "col\nour"), R"(log["col\nour"])");  // still one line
  EXPECT_EQ(member_path("", ""), R"([""])");
  EXPECT_EQ(member_path("t", std::string(100, 'k')), "t[\"" + std::string(63, 'k') + "...]");
}

TEST(JsonInput, OneLineReplacesControlCharactersAndInvalidBytes) {
  EXPECT_EQ(one_line("plain \xc3\xa9"), "plain \xc3\xa9");
  EXPECT_EQ(one_line("a\nb\tc\x7f"), "a?b?c?");
  EXPECT_EQ(one_line("bad \xff \xc3( \xed\xa0\x80"), "bad ? ?( ???");  // stray, truncated, surrogate
  EXPECT_EQ(one_line(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
}

}  // namespace
