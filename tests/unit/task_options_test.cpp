// parse_task_options: every option a task can declare, and every way to get one wrong. The
// messages name the task and the option, because a library author sees them at load time.
#include "engine/task_options.hpp"

#include <runner_host/cache.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

using json = nlohmann::json;
using rh::host::kCacheFlowParameters;
using rh::host::kCacheInputs;
using rh::host::kCacheRunId;
using rh::host::kCacheTaskSource;
using rh::host::kMaxRetryDelays;
using rh::host::OptionError;
using rh::host::parse_task_options;
using rh::host::TaskOptions;
using ::testing::HasSubstr;
using Delays = std::vector<double>;

std::string option_error(const json& options, const std::string& task = "my_task") {
  try {
    parse_task_options(options, task);
  } catch (const OptionError& e) {
    return e.what();
  }
  ADD_FAILURE() << "options " << options.dump() << " were accepted";
  return {};
}

TEST(TaskOptions, EmptyAndNullMeanDefaults) {
  for (const json& options : {json::object(), json()}) {
    const TaskOptions parsed = parse_task_options(options, "t");
    EXPECT_EQ(parsed.retries, 0);
    EXPECT_TRUE(parsed.retry_delays.empty());
    EXPECT_EQ(parsed.retry_jitter_factor, 0);
    EXPECT_EQ(parsed.timeout_seconds, 0);
    EXPECT_TRUE(parsed.tags.empty());
    EXPECT_TRUE(parsed.run_name.empty());
    EXPECT_FALSE(parsed.cache.by_inputs());
    EXPECT_EQ(parsed.cache.expiration_seconds, 0);
    EXPECT_EQ(parsed.delay_before_retry(0), 0);
  }
}

TEST(TaskOptions, OptionsMustBeAnObject) {
  EXPECT_EQ(option_error(json::array()), "task 'my_task': options must be a JSON object");
  EXPECT_EQ(option_error(3), "task 'my_task': options must be a JSON object");
}

TEST(TaskOptions, UnknownKeyIsNamedWithTheKnownOnes) {
  EXPECT_EQ(option_error({{"retires", 3}}),
            "task 'my_task': option 'retires' is unknown (known: retries, retry_delay, retry_jitter_factor, "
            "timeout_seconds, tags, task_run_name, cache, persist_result, version)");
}

TEST(TaskOptions, Retries) {
  EXPECT_EQ(parse_task_options({{"retries", 3}}, "t").retries, 3);
  EXPECT_EQ(parse_task_options({{"retries", 0}}, "t").retries, 0);
  EXPECT_EQ(option_error({{"retries", -1}}), "task 'my_task': option 'retries' must be an integer >= 0, got -1");
  EXPECT_EQ(option_error({{"retries", 1.5}}), "task 'my_task': option 'retries' must be an integer >= 0, got 1.5");
  EXPECT_EQ(option_error({{"retries", "3"}}), "task 'my_task': option 'retries' must be an integer >= 0, got \"3\"");
  EXPECT_THAT(option_error({{"retries", true}}), HasSubstr("option 'retries' must be an integer"));
}

TEST(TaskOptions, RetryDelayAsOneNumber) {
  const TaskOptions parsed = parse_task_options({{"retries", 3}, {"retry_delay", 2.5}}, "t");
  EXPECT_EQ(parsed.retry_delays, Delays{2.5});
  EXPECT_EQ(parsed.delay_before_retry(0), 2.5);
  EXPECT_EQ(parsed.delay_before_retry(2), 2.5);
}

TEST(TaskOptions, RetryDelayListRepeatsItsLastValue) {
  const TaskOptions parsed = parse_task_options({{"retries", 5}, {"retry_delay", {1, 2, 4}}}, "t");
  EXPECT_EQ(parsed.retry_delays, (Delays{1, 2, 4}));
  EXPECT_EQ(parsed.delay_before_retry(0), 1);
  EXPECT_EQ(parsed.delay_before_retry(1), 2);
  EXPECT_EQ(parsed.delay_before_retry(2), 4);
  EXPECT_EQ(parsed.delay_before_retry(3), 4);
  EXPECT_EQ(parsed.delay_before_retry(100), 4);
}

TEST(TaskOptions, RetryDelayListOfFiftyIsTheLimit) {
  EXPECT_EQ(parse_task_options({{"retry_delay", json(Delays(kMaxRetryDelays, 1.0))}}, "t").retry_delays.size(), 50u);
  EXPECT_EQ(option_error({{"retry_delay", json(Delays(51, 1.0))}}),
            "task 'my_task': option 'retry_delay' lists 51 delays; at most 50 are allowed");
}

TEST(TaskOptions, NegativeOrNonNumericDelayIsRejected) {
  EXPECT_EQ(option_error({{"retry_delay", -1}}), "task 'my_task': option 'retry_delay' must be >= 0, got -1");
  EXPECT_EQ(option_error({{"retry_delay", {1, -0.5}}}), "task 'my_task': option 'retry_delay' must be >= 0, got -0.5");
  EXPECT_EQ(option_error({{"retry_delay", {1, "2"}}}),
            "task 'my_task': option 'retry_delay' must be a number, got \"2\"");
  EXPECT_THAT(
      option_error({{"retry_delay", "soon"}}),
      HasSubstr("option 'retry_delay' must be seconds, a list of seconds or {\"exponential_backoff\": factor}"));
  EXPECT_THAT(option_error({{"retry_delay", {{"linear", 2}}}}), HasSubstr("option 'retry_delay' must be seconds"));
}

TEST(TaskOptions, ExponentialBackoffExpandsWithTheRetries) {
  const TaskOptions parsed = parse_task_options({{"retries", 3}, {"retry_delay", {{"exponential_backoff", 10}}}}, "t");
  EXPECT_EQ(parsed.retry_delays, (Delays{10, 20, 40}));
  // The key order in the JSON does not matter: retries is read first.
  const TaskOptions reordered =
      parse_task_options(json::parse(R"({"retry_delay": {"exponential_backoff": 10}, "retries": 3})"), "t");
  EXPECT_EQ(reordered.retry_delays, (Delays{10, 20, 40}));
}

TEST(TaskOptions, ExponentialBackoffIsCappedAtFiftyDelays) {
  // A factor small enough that the 50th delay (factor * 2^49 = 2^19 s) stays within the
  // maximum duration (task_options_limits_test.cpp); a power of two, so every delay is exact.
  const double factor = std::ldexp(1.0, -30);
  const TaskOptions parsed =
      parse_task_options({{"retries", 80}, {"retry_delay", {{"exponential_backoff", factor}}}}, "t");
  ASSERT_EQ(parsed.retry_delays.size(), kMaxRetryDelays);
  EXPECT_EQ(parsed.retry_delays.front(), factor);
  EXPECT_EQ(parsed.retry_delays[10], std::ldexp(1.0, -20));
  EXPECT_EQ(parsed.retry_delays.back(), std::ldexp(1.0, 19));
  // Retries past the 50th wait as long as the 50th.
  EXPECT_EQ(parsed.delay_before_retry(79), parsed.retry_delays.back());
}

TEST(TaskOptions, ExponentialBackoffFactorMustBeNonNegative) {
  EXPECT_EQ(option_error({{"retries", 2}, {"retry_delay", {{"exponential_backoff", -2}}}}),
            "task 'my_task': option 'retry_delay.exponential_backoff' must be >= 0, got -2");
  EXPECT_THAT(option_error({{"retry_delay", {{"exponential_backoff", "x"}}}}),
              HasSubstr("option 'retry_delay.exponential_backoff' must be a number"));
}

TEST(TaskOptions, RetryJitterFactor) {
  EXPECT_EQ(parse_task_options({{"retry_jitter_factor", 0.5}}, "t").retry_jitter_factor, 0.5);
  EXPECT_EQ(option_error({{"retry_jitter_factor", -0.1}}),
            "task 'my_task': option 'retry_jitter_factor' must be >= 0, got -0.1");
  EXPECT_THAT(option_error({{"retry_jitter_factor", "big"}}),
              HasSubstr("option 'retry_jitter_factor' must be a number"));
}

TEST(TaskOptions, TimeoutSecondsMustBePositive) {
  EXPECT_EQ(parse_task_options({{"timeout_seconds", 0.25}}, "t").timeout_seconds, 0.25);
  EXPECT_EQ(option_error({{"timeout_seconds", 0}}),
            "task 'my_task': option 'timeout_seconds' must be a number > 0, got 0");
  EXPECT_EQ(option_error({{"timeout_seconds", -5}}),
            "task 'my_task': option 'timeout_seconds' must be a number > 0, got -5");
  EXPECT_THAT(option_error({{"timeout_seconds", "10"}}), HasSubstr("option 'timeout_seconds' must be a number > 0"));
}

TEST(TaskOptions, TagsAreDeduplicatedInOrder) {
  const TaskOptions parsed = parse_task_options({{"tags", {"db", "io", "db"}}}, "t");
  EXPECT_EQ(parsed.tags, (std::vector<std::string>{"db", "io"}));
}

TEST(TaskOptions, TagsMustBeAListOfNonEmptyStrings) {
  EXPECT_EQ(option_error({{"tags", "db"}}), "task 'my_task': option 'tags' must be a list of strings, got \"db\"");
  EXPECT_EQ(option_error({{"tags", {"db", ""}}}),
            "task 'my_task': option 'tags' must hold non-empty strings, got \"\"");
  EXPECT_EQ(option_error({{"tags", {"db", 3}}}), "task 'my_task': option 'tags' must hold non-empty strings, got 3");
}

TEST(TaskOptions, TaskRunName) {
  const TaskOptions parsed = parse_task_options({{"task_run_name", "add-{a}"}}, "t");
  EXPECT_EQ(parsed.run_name.pattern(), "add-{a}");
  EXPECT_EQ(parsed.run_name.render({{"a", 1}}), "add-1");
  EXPECT_EQ(option_error({{"task_run_name", "add-{a"}}),
            "task 'my_task': option 'task_run_name' is invalid: run name template 'add-{a' has a '{' without a "
            "matching '}'");
  EXPECT_EQ(option_error({{"task_run_name", 5}}), "task 'my_task': option 'task_run_name' must be a string, got 5");
}

TEST(TaskOptions, CachePolicyAndExpiration) {
  const TaskOptions inputs = parse_task_options({{"cache", {{"policy", "inputs"}, {"expiration_seconds", 30}}}}, "t");
  EXPECT_TRUE(inputs.cache.by_inputs());
  EXPECT_EQ(inputs.cache.expiration_seconds, 30);
  // An empty cache object means the default policy, "inputs".
  EXPECT_TRUE(parse_task_options({{"cache", json::object()}}, "t").cache.by_inputs());
  EXPECT_FALSE(parse_task_options({{"cache", {{"policy", "none"}}}}, "t").cache.by_inputs());
}

TEST(TaskOptions, CachePoliciesCombineParts) {
  const TaskOptions parsed = parse_task_options({{"cache",
                                                  {{"policy", {"inputs", "task_source", "flow_parameters", "run_id"}},
                                                   {"exclude", {"z", "a", "z"}},
                                                   {"refresh", true}}}},
                                                "t");
  EXPECT_EQ(parsed.cache.parts, kCacheInputs | kCacheTaskSource | kCacheFlowParameters | kCacheRunId);
  EXPECT_EQ(parsed.cache.excluded, (std::vector<std::string>{"a", "z"}));
  EXPECT_TRUE(parsed.cache.refresh);
  EXPECT_EQ(parse_task_options({{"cache", {{"policy", "task_source"}}}}, "t").cache.parts, kCacheTaskSource);
  EXPECT_EQ(parse_task_options({{"cache", {{"policy", json::array()}}}}, "t").cache.parts, 0);
  // The SDK writes the same JSON.
  const rh::cache::Policy policy = rh::cache::inputs().exclude({"debug"}) + rh::cache::task_source();
  const TaskOptions from_sdk = parse_task_options({{"cache", policy.to_option()}}, "t");
  EXPECT_EQ(from_sdk.cache.parts, kCacheInputs | kCacheTaskSource);
  EXPECT_EQ(from_sdk.cache.excluded, (std::vector<std::string>{"debug"}));
  EXPECT_EQ(parse_task_options({{"cache", rh::cache::none().to_option()}}, "t").cache.parts, 0);
}

TEST(TaskOptions, PersistResultAndVersion) {
  const TaskOptions defaults = parse_task_options(json::object(), "t");
  EXPECT_TRUE(defaults.persist_result);
  EXPECT_EQ(defaults.version, "");
  const TaskOptions parsed = parse_task_options({{"persist_result", false}, {"version", "2.1"}}, "t");
  EXPECT_FALSE(parsed.persist_result);
  EXPECT_EQ(parsed.version, "2.1");
  EXPECT_EQ(option_error({{"persist_result", "no"}}),
            "task 'my_task': option 'persist_result' must be true or false, got \"no\"");
  EXPECT_EQ(option_error({{"version", 2}}),
            "task 'my_task': option 'version' must be a string of at most 200 characters, got 2");
}

TEST(TaskOptions, CacheErrorsNameTheField) {
  EXPECT_EQ(option_error({{"cache", true}}),
            "task 'my_task': option 'cache' must be an object like {\"policy\": [\"inputs\"]}, got true");
  EXPECT_EQ(option_error({{"cache", {{"policy", "forever"}}}}),
            "task 'my_task': option 'cache.policy' must be \"none\", or one or a list of \"inputs\", "
            "\"task_source\", \"flow_parameters\", \"run_id\"; got \"forever\"");
  EXPECT_EQ(option_error({{"cache", {{"policy", {"inputs", 3}}}}}),
            "task 'my_task': option 'cache.policy' must be \"none\", or one or a list of \"inputs\", "
            "\"task_source\", \"flow_parameters\", \"run_id\"; got 3");
  EXPECT_EQ(
      option_error({{"cache", {{"ttl", 3}}}}),
      "task 'my_task': option 'cache.ttl' is unknown (known: policy, exclude, expiration_seconds, refresh, isolation)");
  EXPECT_EQ(option_error({{"cache", {{"expiration_seconds", -1}}}}),
            "task 'my_task': option 'cache.expiration_seconds' must be >= 0, got -1");
  EXPECT_EQ(option_error({{"cache", {{"exclude", "debug"}}}}),
            "task 'my_task': option 'cache.exclude' must be a list of parameter names, got \"debug\"");
  EXPECT_EQ(option_error({{"cache", {{"refresh", 1}}}}),
            "task 'my_task': option 'cache.refresh' must be true or false, got 1");
}

TEST(TaskOptions, MessagesNameTheTask) {
  EXPECT_THAT(option_error({{"retries", -1}}, "fetch_rows"), HasSubstr("task 'fetch_rows': option 'retries'"));
}

}  // namespace
