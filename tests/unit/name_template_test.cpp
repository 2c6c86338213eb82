// Run name templates ("add-{a}-{b}"): rendering from parameters, literal braces, and the
// errors a task author sees at load (bad pattern) or at run time (missing parameter).
#include "engine/name_template.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using rh::host::NameTemplate;
using rh::host::NameTemplateError;
using ::testing::HasSubstr;
using json = nlohmann::json;

std::string construction_error(const std::string& pattern) {
  try {
    NameTemplate name(pattern);
  } catch (const NameTemplateError& e) {
    return e.what();
  }
  ADD_FAILURE() << "pattern '" << pattern << "' was accepted";
  return {};
}

TEST(NameTemplate, DefaultIsEmpty) {
  NameTemplate name;
  EXPECT_TRUE(name.empty());
  EXPECT_EQ(name.render(json::object()), "");
}

TEST(NameTemplate, RendersKeysFromParameters) {
  NameTemplate name("add-{a}-{b}");
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(name.pattern(), "add-{a}-{b}");
  EXPECT_EQ(name.keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(name.render({{"a", 1}, {"b", 2}}), "add-1-2");
}

TEST(NameTemplate, StringsRenderBareOtherValuesAsJson) {
  NameTemplate name("{s}|{n}|{f}|{b}|{l}|{o}|{z}");
  const json params = {{"s", "text"}, {"n", -3},           {"f", 1.5},    {"b", true},
                       {"l", {1, 2}}, {"o", {{"k", "v"}}}, {"z", nullptr}};
  EXPECT_EQ(name.render(params), R"(text|-3|1.5|true|[1,2]|{"k":"v"}|null)");
}

TEST(NameTemplate, TemplateWithoutKeysIsLiteral) {
  NameTemplate name("fixed-name");
  EXPECT_TRUE(name.keys().empty());
  EXPECT_EQ(name.render(json::object()), "fixed-name");
}

TEST(NameTemplate, SameKeyTwiceAndAdjacentKeys) {
  NameTemplate name("{a}{b}-{a}");
  EXPECT_EQ(name.render({{"a", "x"}, {"b", "y"}}), "xy-x");
}

TEST(NameTemplate, DoubledBracesAreLiteral) {
  EXPECT_EQ(NameTemplate("{{a}}").render(json::object()), "{a}");
  EXPECT_EQ(NameTemplate("set-{{{a}}}").render({{"a", 7}}), "set-{7}");
  EXPECT_EQ(NameTemplate("}}{{").render(json::object()), "}{");
  EXPECT_TRUE(NameTemplate("{{a}}").keys().empty());
}

TEST(NameTemplate, MissingKeyIsNamed) {
  NameTemplate name("add-{a}-{b}");
  try {
    name.render({{"a", 1}});
    FAIL() << "rendered without 'b'";
  } catch (const NameTemplateError& e) {
    EXPECT_EQ(std::string(e.what()),
              "run name template 'add-{a}-{b}' names parameter 'b', which the run does not have");
  }
}

TEST(NameTemplate, ParametersThatAreNotAnObjectLackEveryKey) {
  NameTemplate name("n-{a}");
  EXPECT_THROW(name.render(json::array({1})), NameTemplateError);
  EXPECT_THROW(name.render(json()), NameTemplateError);
}

TEST(NameTemplate, UnbalancedOpenBraceIsRejected) {
  EXPECT_EQ(construction_error("add-{a"), "run name template 'add-{a' has a '{' without a matching '}'");
  EXPECT_THAT(construction_error("{"), HasSubstr("'{' without a matching '}'"));
}

TEST(NameTemplate, UnbalancedCloseBraceIsRejected) {
  EXPECT_EQ(construction_error("add-a}"), "run name template 'add-a}' has a '}' without a matching '{'");
  // "{a}}" is a key followed by a lone '}', not a literal brace.
  EXPECT_THAT(construction_error("{a}}"), HasSubstr("'}' without a matching '{'"));
}

TEST(NameTemplate, EmptyOrNestedBracesAreRejected) {
  EXPECT_EQ(construction_error("run-{}"), "run name template 'run-{}' has an empty or nested '{...}'");
  EXPECT_THAT(construction_error("{a{b}"), HasSubstr("empty or nested"));
}

}  // namespace
