#include "engine/task_options.hpp"

#include "base/format.hpp"
#include "base/json_input.hpp"
#include "base/limits.hpp"

#include <algorithm>
#include <cmath>

namespace rh::host {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& task, const std::string& key, const std::string& why) {
  throw OptionError("task '" + one_line(task, 200) + "': option '" + one_line(key, 64) + "' " + why);
}

double non_negative_number(const json& value, const std::string& task, const std::string& key) {
  if (!value.is_number()) fail(task, key, "must be a number, got " + json_excerpt(value));
  const double number = value.get<double>();
  if (!std::isfinite(number) || number < 0) fail(task, key, "must be >= 0, got " + value.dump());
  return number;
}

std::string beyond_the_maximum() { return std::string("more than the maximum of ") + kMaxDurationText; }

// Seconds the host will wait: a timer is set for them.
double duration(const json& value, const std::string& task, const std::string& key) {
  const double seconds = non_negative_number(value, task, key);
  if (seconds > kMaxDurationSeconds) {
    fail(task, key, std::string("must be at most ") + kMaxDurationText + ", got " + value.dump());
  }
  return seconds;
}

std::vector<double> parse_delays(const json& value, int retries, const std::string& task) {
  const std::string key = "retry_delay";
  if (value.is_number()) return {duration(value, task, key)};
  if (value.is_array()) {
    if (value.size() > kMaxRetryDelays) {
      fail(task, key,
           "lists " + std::to_string(value.size()) + " delays; at most " + std::to_string(kMaxRetryDelays) +
               " are allowed");
    }
    std::vector<double> delays;
    for (const json& item : value) delays.push_back(duration(item, task, key));
    return delays;
  }
  if (value.is_object() && value.size() == 1 && value.contains("exponential_backoff")) {
    const std::string factor_key = key + ".exponential_backoff";
    const double factor = duration(value["exponential_backoff"], task, factor_key);
    std::vector<double> delays;
    const int count = std::min<int>(retries, static_cast<int>(kMaxRetryDelays));
    for (int i = 0; i < count; ++i) {
      const double delay = factor * std::ldexp(1.0, i);
      if (delay > kMaxDurationSeconds) {
        // Refused rather than capped: the series the task asked for cannot be kept.
        fail(task, factor_key,
             format_seconds(factor) + " doubles to " + format_seconds(delay) + " seconds before retry " +
                 std::to_string(i + 1) + " of " + std::to_string(retries) + ", " + beyond_the_maximum() +
                 "; use a smaller factor or fewer retries");
      }
      delays.push_back(delay);
    }
    return delays;
  }
  fail(task, key,
       "must be seconds, a list of seconds or {\"exponential_backoff\": factor}, got " + json_excerpt(value));
}

CachePart cache_part(const json& name, const std::string& task) {
  static const std::pair<const char*, CachePart> kParts[] = {{"inputs", kCacheInputs},
                                                             {"task_source", kCacheTaskSource},
                                                             {"flow_parameters", kCacheFlowParameters},
                                                             {"run_id", kCacheRunId}};
  if (name.is_string()) {
    for (const auto& [text, part] : kParts) {
      if (name == text) return part;
    }
  }
  fail(task, "cache.policy",
       "must be \"none\", or one or a list of \"inputs\", \"task_source\", \"flow_parameters\", \"run_id\"; got " +
           json_excerpt(name));
}

CacheOptions parse_cache(const json& cache, const std::string& task) {
  if (!cache.is_object()) {
    fail(task, "cache", "must be an object like {\"policy\": [\"inputs\"]}, got " + json_excerpt(cache));
  }
  for (auto field = cache.begin(); field != cache.end(); ++field) {
    static const char* const kFields[] = {"policy", "exclude", "expiration_seconds", "refresh", "isolation"};
    if (std::none_of(std::begin(kFields), std::end(kFields), [&](const char* f) { return field.key() == f; })) {
      fail(task, "cache." + field.key(), "is unknown (known: policy, exclude, expiration_seconds, refresh, isolation)");
    }
  }
  CacheOptions parsed;
  // Without a policy an object still means "cache by inputs", as it always did.
  const json policy = cache.value("policy", json("inputs"));
  if (policy.is_array()) {
    for (const json& name : policy) parsed.parts |= cache_part(name, task);
  } else if (policy != "none") {
    parsed.parts = cache_part(policy, task);
  }
  if (auto exclude = cache.find("exclude"); exclude != cache.end()) {
    if (!exclude->is_array())
      fail(task, "cache.exclude", "must be a list of parameter names, got " + json_excerpt(*exclude));
    for (const json& name : *exclude) {
      if (!name.is_string()) fail(task, "cache.exclude", "must hold parameter names, got " + json_excerpt(name));
      parsed.excluded.push_back(name.get<std::string>());
    }
    std::sort(parsed.excluded.begin(), parsed.excluded.end());
    parsed.excluded.erase(std::unique(parsed.excluded.begin(), parsed.excluded.end()), parsed.excluded.end());
  }
  if (auto exp = cache.find("expiration_seconds"); exp != cache.end()) {
    parsed.expiration_seconds = duration(*exp, task, "cache.expiration_seconds");
  }
  if (auto refresh = cache.find("refresh"); refresh != cache.end()) {
    if (!refresh->is_boolean()) fail(task, "cache.refresh", "must be true or false, got " + json_excerpt(*refresh));
    parsed.refresh = refresh->get<bool>();
  }
  if (auto isolation = cache.find("isolation"); isolation != cache.end()) {
    if (*isolation != "read_committed" && *isolation != "serializable") {
      fail(task, "cache.isolation", "must be \"read_committed\" or \"serializable\", got " + json_excerpt(*isolation));
    }
    parsed.serializable = *isolation == "serializable";
  }
  return parsed;
}

}  // namespace

double TaskOptions::delay_before_retry(std::size_t index) const {
  if (retry_delays.empty()) return 0;
  return retry_delays[std::min(index, retry_delays.size() - 1)];
}

const std::vector<std::string>& known_task_option_keys() {
  static const std::vector<std::string> keys = {"retries",         "retry_delay",    "retry_jitter_factor",
                                                "timeout_seconds", "tags",           "task_run_name",
                                                "cache",           "persist_result", "version"};
  return keys;
}

TaskOptions parse_task_options(const json& options, const std::string& task) {
  TaskOptions parsed;
  if (options.is_null()) return parsed;
  if (!options.is_object()) throw OptionError("task '" + task + "': options must be a JSON object");

  for (auto it = options.begin(); it != options.end(); ++it) {
    const auto& keys = known_task_option_keys();
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
      fail(task, it.key(),
           "is unknown (known: retries, retry_delay, retry_jitter_factor, timeout_seconds, tags, "
           "task_run_name, cache, persist_result, version)");
    }
  }

  if (auto it = options.find("retries"); it != options.end()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 1000000) {
      fail(task, "retries", "must be an integer >= 0, got " + json_excerpt(*it));
    }
    parsed.retries = it->get<int>();
  }
  if (auto it = options.find("retry_delay"); it != options.end()) {
    parsed.retry_delays = parse_delays(*it, parsed.retries, task);
  }
  if (auto it = options.find("retry_jitter_factor"); it != options.end()) {
    parsed.retry_jitter_factor = non_negative_number(*it, task, "retry_jitter_factor");
  }
  if (auto it = options.find("timeout_seconds"); it != options.end()) {
    if (!it->is_number() || !(it->get<double>() > 0) || !std::isfinite(it->get<double>())) {
      fail(task, "timeout_seconds", "must be a number > 0, got " + json_excerpt(*it));
    }
    parsed.timeout_seconds = duration(*it, task, "timeout_seconds");
  }
  if (auto it = options.find("tags"); it != options.end()) {
    if (!it->is_array()) fail(task, "tags", "must be a list of strings, got " + json_excerpt(*it));
    for (const json& tag : *it) {
      if (!tag.is_string() || tag.get<std::string>().empty()) {
        fail(task, "tags", "must hold non-empty strings, got " + json_excerpt(tag));
      }
      const std::string name = tag.get<std::string>();
      if (std::find(parsed.tags.begin(), parsed.tags.end(), name) == parsed.tags.end()) parsed.tags.push_back(name);
    }
  }
  if (auto it = options.find("task_run_name"); it != options.end()) {
    if (!it->is_string()) fail(task, "task_run_name", "must be a string, got " + json_excerpt(*it));
    try {
      parsed.run_name = NameTemplate(it->get<std::string>());
    } catch (const NameTemplateError& e) {
      fail(task, "task_run_name", std::string("is invalid: ") + one_line(e.what(), 300));
    }
  }
  if (auto it = options.find("cache"); it != options.end()) parsed.cache = parse_cache(*it, task);
  if (auto it = options.find("persist_result"); it != options.end()) {
    if (!it->is_boolean()) fail(task, "persist_result", "must be true or false, got " + json_excerpt(*it));
    parsed.persist_result = it->get<bool>();
  }
  if (auto it = options.find("version"); it != options.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().size() > 200) {
      fail(task, "version", "must be a string of at most 200 characters, got " + json_excerpt(*it));
    }
    parsed.version = one_line(it->get<std::string>(), 200);
  }
  // Jitter stretches a delay d up to d * (1 + factor): that, too, is a timer.
  const double longest_delay =
      parsed.retry_delays.empty() ? 0 : *std::max_element(parsed.retry_delays.begin(), parsed.retry_delays.end());
  if (longest_delay > 0 && longest_delay * (1 + parsed.retry_jitter_factor) > kMaxDurationSeconds) {
    fail(task, "retry_jitter_factor",
         format_seconds(parsed.retry_jitter_factor) + " can stretch the retry delay of " +
             format_seconds(longest_delay) + " seconds to " +
             format_seconds(longest_delay * (1 + parsed.retry_jitter_factor)) + " seconds, " + beyond_the_maximum());
  }
  return parsed;
}

}  // namespace rh::host
