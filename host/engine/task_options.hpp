// A task's engine options (retries, delays, timeout, tags, run name, cache), parsed and
// validated from the JSON the SDK compiles into the library, merged with config overrides.
#pragma once

#include "engine/name_template.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rh::host {

// A bad option; the message names the task and the option.
class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a run's cache key is made of (docs/options.md, "cache"). No part: no caching.
enum CachePart : std::uint8_t {
  kCacheInputs = 1,
  kCacheTaskSource = 2,
  kCacheFlowParameters = 4,
  kCacheRunId = 8,
};

struct CacheOptions {
  std::uint8_t parts = 0;             // CachePart bits
  std::vector<std::string> excluded;  // parameters left out of the inputs part, sorted
  double expiration_seconds = 0;      // 0: never expires
  bool refresh = false;               // run anyway and replace the stored result
  // SERIALIZABLE isolation: one run per key computes at a time, across processes sharing the
  // store; the others wait for its result (engine/key_locks.hpp). Else READ_COMMITTED.
  bool serializable = false;
  bool by_inputs() const noexcept { return (parts & kCacheInputs) != 0; }
};

struct TaskOptions {
  int retries = 0;
  std::vector<double> retry_delays;  // delay before retry i is retry_delays[min(i, size-1)]
  double retry_jitter_factor = 0;
  double timeout_seconds = 0;  // 0: no timeout
  std::vector<std::string> tags;
  NameTemplate run_name;  // empty: "<task>-<3 hex digits>"
  CacheOptions cache;
  bool persist_result = true;  // the result goes to the store (when there is one)
  std::string version;         // the task's declared version

  // Seconds before retry `index` (0-based), before jitter.
  double delay_before_retry(std::size_t index) const;
};

inline constexpr std::size_t kMaxRetryDelays = 50;

// Parses `options` (a JSON object) for task `task_name`. Throws OptionError.
TaskOptions parse_task_options(const nlohmann::json& options, const std::string& task_name);

// The option keys parse_task_options accepts.
const std::vector<std::string>& known_task_option_keys();

}  // namespace rh::host
