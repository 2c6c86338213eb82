// Every duration a task's options set a timer for (retry delays in each form, jitter, the
// timeout, the cache expiration) is refused beyond the maximum of 30 days, with a message
// naming the task, the option and the maximum. A saturated deadline (1e10 s) made the timer
// thread spin before: runs never woke and signals were ignored.
#include "base/limits.hpp"
#include "engine/task_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using json = nlohmann::json;
using rh::host::kMaxDurationSeconds;
using rh::host::OptionError;
using rh::host::parse_task_options;
using rh::host::TaskOptions;
using ::testing::HasSubstr;

std::string option_error(const json& options) {
  try {
    parse_task_options(options, "t");
  } catch (const OptionError& e) {
    return e.what();
  }
  ADD_FAILURE() << "options " << options.dump() << " were accepted";
  return {};
}

TEST(TaskOptionsLimits, TheMaximumIsThirtyDays) { EXPECT_EQ(kMaxDurationSeconds, 30 * 24 * 3600); }

TEST(TaskOptionsLimits, DurationsAtTheMaximumAreAccepted) {
  const TaskOptions parsed =
      parse_task_options(json::parse(R"({"retries": 2, "retry_delay": [1, 2592000], "timeout_seconds": 2592000,
                      "cache": {"expiration_seconds": 2592000}})"),
                         "t");
  EXPECT_EQ(parsed.delay_before_retry(1), kMaxDurationSeconds);
  EXPECT_EQ(parsed.timeout_seconds, kMaxDurationSeconds);
  EXPECT_EQ(parsed.cache.expiration_seconds, kMaxDurationSeconds);
}

TEST(TaskOptionsLimits, RetryDelayBeyondTheMaximum) {
  EXPECT_EQ(option_error({{"retries", 1}, {"retry_delay", 1e10}}),
            "task 't': option 'retry_delay' must be at most 2592000 seconds (30 days), got 10000000000.0");
  EXPECT_EQ(option_error({{"retries", 1}, {"retry_delay", {1, 2592001}}}),
            "task 't': option 'retry_delay' must be at most 2592000 seconds (30 days), got 2592001");
}

TEST(TaskOptionsLimits, TimeoutBeyondTheMaximum) {
  EXPECT_EQ(option_error({{"timeout_seconds", 1e10}}),
            "task 't': option 'timeout_seconds' must be at most 2592000 seconds (30 days), got 10000000000.0");
}

TEST(TaskOptionsLimits, CacheExpirationBeyondTheMaximum) {
  EXPECT_EQ(option_error({{"cache", {{"expiration_seconds", 1e300}}}}),
            "task 't': option 'cache.expiration_seconds' must be at most 2592000 seconds (30 days), got 1e+300");
}

TEST(TaskOptionsLimits, ExponentialBackoffFactorBeyondTheMaximum) {
  EXPECT_EQ(option_error({{"retries", 1}, {"retry_delay", {{"exponential_backoff", 1e10}}}}),
            "task 't': option 'retry_delay.exponential_backoff' must be at most 2592000 seconds (30 days), got "
            "10000000000.0");
}

TEST(TaskOptionsLimits, ExponentialBackoffThatDoublesBeyondTheMaximum) {
  // 1 s doubled 21 times is 2,097,152 s, within; a 23rd retry would wait 4,194,304 s.
  EXPECT_EQ(
      parse_task_options({{"retries", 22}, {"retry_delay", {{"exponential_backoff", 1}}}}, "t").retry_delays.back(),
      2097152);
  EXPECT_EQ(option_error({{"retries", 23}, {"retry_delay", {{"exponential_backoff", 1}}}}),
            "task 't': option 'retry_delay.exponential_backoff' 1 doubles to 4.1943e+06 seconds before retry 23 of 23, "
            "more than the maximum of 2592000 seconds (30 days); use a smaller factor or fewer retries");
}

TEST(TaskOptionsLimits, JitterThatStretchesADelayBeyondTheMaximum) {
  // A delay d waits up to d * (1 + jitter).
  EXPECT_EQ(
      parse_task_options({{"retries", 1}, {"retry_delay", 1e6}, {"retry_jitter_factor", 1.5}}, "t").retry_jitter_factor,
      1.5);
  EXPECT_EQ(option_error({{"retries", 1}, {"retry_delay", {1, 1e6}}, {"retry_jitter_factor", 2}}),
            "task 't': option 'retry_jitter_factor' 2 can stretch the retry delay of 1e+06 seconds to 3e+06 seconds, "
            "more than the maximum of 2592000 seconds (30 days)");
  EXPECT_THAT(
      option_error({{"retries", 1}, {"retry_delay", 1}, {"retry_jitter_factor", 1e308}}),
      HasSubstr("option 'retry_jitter_factor' 1e+308 can stretch the retry delay of 1 seconds to 1e+308 seconds"));
  // Without a delay, jitter has nothing to stretch.
  EXPECT_EQ(parse_task_options({{"retry_jitter_factor", 1e308}}, "t").retry_jitter_factor, 1e308);
}

TEST(TaskOptionsLimits, UnknownKeysStayOnOneLine) {
  EXPECT_THAT(option_error({{"a\nb", 1}}), HasSubstr("option 'a?b' is unknown"));
}

}  // namespace
