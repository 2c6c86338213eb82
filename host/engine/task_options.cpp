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

}  // namespace

double TaskOptions::delay_before_retry(std::size_t index) const {
  if (retry_delays.empty()) return 0;
  return retry_delays[std::min(index, retry_delays.size() - 1)];
}

const std::vector<std::string>& known_task_option_keys() {
  static const std::vector<std::string> keys = {
      "retries", "retry_delay", "retry_jitter_factor", "timeout_seconds", "tags", "task_run_name", "cache"};
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
           "task_run_name, cache)");
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
  if (auto it = options.find("cache"); it != options.end()) {
    if (!it->is_object()) {
      fail(task, "cache", "must be an object like {\"policy\": \"inputs\"}, got " + json_excerpt(*it));
    }
    for (auto field = it->begin(); field != it->end(); ++field) {
      if (field.key() != "policy" && field.key() != "expiration_seconds") {
        fail(task, "cache." + field.key(), "is unknown (known: policy, expiration_seconds)");
      }
    }
    const json policy = it->value("policy", json("inputs"));
    if (policy != "inputs" && policy != "none") {
      fail(task, "cache.policy", "must be \"inputs\" or \"none\", got " + json_excerpt(policy));
    }
    parsed.cache.by_inputs = policy == "inputs";
    if (auto exp = it->find("expiration_seconds"); exp != it->end()) {
      parsed.cache.expiration_seconds = duration(*exp, task, "cache.expiration_seconds");
    }
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
