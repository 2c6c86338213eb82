// What every fuzz target asserts beyond "no crash": the properties the host promises for any
// input. A broken property prints what broke and aborts, which libFuzzer reports as a crash
// and saves the input.
#pragma once

#include "base/limits.hpp"
#include "engine/task_options.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace rh::fuzz {

[[noreturn]] inline void broken(const std::string& property, const std::string& detail) {
  std::fprintf(stderr, "fuzz property broken: %s\n%s\n", property.c_str(), detail.c_str());
  std::abort();
}

inline void require(bool holds, const std::string& property, const std::string& detail = {}) {
  if (!holds) broken(property, detail);
}

// The longest error message any input may produce: messages quote excerpts, never inputs.
inline constexpr std::size_t kMaxMessageBytes = 2000;

// An error message is what a user sees on stderr: one line of valid UTF-8, of bounded size.
inline void require_one_line(const std::string& message) {
  require(!message.empty(), "an error message is not empty");
  require(message.find('\n') == std::string::npos && message.find('\r') == std::string::npos,
          "an error message is one line", message);
  require(message.size() <= kMaxMessageBytes, "an error message is at most 2000 bytes", message.substr(0, 300) + "...");
  try {
    (void)nlohmann::json(message).dump();  // throws type_error 316 on invalid UTF-8
  } catch (const nlohmann::json::type_error&) {
    broken("an error message is valid UTF-8", message);
  }
}

inline bool is_duration(double seconds) {
  return std::isfinite(seconds) && seconds >= 0 && seconds <= host::kMaxDurationSeconds;
}

// Options the host accepted set no timer beyond the maximum duration.
inline void require_bounded(const host::TaskOptions& options) {
  require(options.retries >= 0 && options.retries <= 1000000, "retries are within 0..1000000");
  require(options.retry_delays.size() <= host::kMaxRetryDelays, "at most 50 retry delays");
  require(std::isfinite(options.retry_jitter_factor) && options.retry_jitter_factor >= 0, "jitter is >= 0");
  for (const double delay : options.retry_delays) {
    require(is_duration(delay), "every retry delay is within the maximum", std::to_string(delay));
    require(delay * (1 + options.retry_jitter_factor) <= host::kMaxDurationSeconds,
            "a retry delay with its jitter is within the maximum", std::to_string(delay));
  }
  const std::size_t last = options.retries > 0 ? static_cast<std::size_t>(options.retries - 1) : 0;
  require(is_duration(options.delay_before_retry(last)), "the last retry's delay is within the maximum");
  require(is_duration(options.timeout_seconds), "the timeout is within the maximum");
  require(is_duration(options.cache.expiration_seconds), "the cache expiration is within the maximum");
  for (const std::string& tag : options.tags) require(!tag.empty(), "tags are not empty");
}

}  // namespace rh::fuzz
