// JSON strings for a <script> element (cli/script_json.hpp): they parse back to the text,
// invalid UTF-8 becomes U+FFFD one byte at a time, and nothing in them can end the element.
#include "cli/script_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rh::host {
namespace {

std::string encoded(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string decoded(std::string_view text) { return nlohmann::json::parse(encoded(text)).get<std::string>(); }

TEST(ScriptJson, ValidTextComesBackAsItWas) {
  for (const std::string& text :
       {std::string(), std::string("plain"), std::string("quote \" backslash \\ slash /"),
        std::string("tab\tnew\nline\rbell\x07 nul\0end", 26), std::string("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
        std::string("a</script><!-- b --> <p> <"), std::string("\x7f\x1f")}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(decoded(text), text);
  }
}

TEST(ScriptJson, NothingCanEndTheScriptElementOrOpenAComment) {
  const std::string out = encoded("x</script> <!-- y </SCRIPT <");
  EXPECT_EQ(out.find("</"), std::string::npos) << out;
  EXPECT_EQ(out.find("<!--"), std::string::npos) << out;
  EXPECT_EQ(out, R"("x<\/script> <\u0021-- y <\/SCRIPT <")");
}

TEST(ScriptJson, ControlCharactersAreEscaped) {
  EXPECT_EQ(encoded(std::string("\x01\n\x1f", 3)), R"("\u0001\n\u001f")");
}

TEST(ScriptJson, InvalidUtf8BecomesAReplacementCharacterPerByte) {
  const std::string r = "\xEF\xBF\xBD";                        // U+FFFD
  EXPECT_EQ(decoded("a\x80z"), "a" + r + "z");                 // a lone continuation byte
  EXPECT_EQ(decoded("\xC0\x80"), r + r);                       // an overlong NUL
  EXPECT_EQ(decoded("\xED\xA0\x80"), r + r + r);               // a surrogate
  EXPECT_EQ(decoded("\xF5\x80\x80\x80"), r + r + r + r);       // past U+10FFFF
  EXPECT_EQ(decoded("end \xE2\x82"), "end " + r + r);          // cut short at the end
  EXPECT_EQ(decoded("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");  // U+10FFFF itself is fine
}

TEST(ScriptJson, IntegersAreDecimal) {
  std::string out;
  append_json_int(out, 0);
  out += ',';
  append_json_int(out, -42);
  out += ',';
  append_json_int(out, INT64_MAX);
  EXPECT_EQ(out, "0,-42,9223372036854775807");
}

}  // namespace
}  // namespace rh::host
