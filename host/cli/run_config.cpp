#include "cli/run_config.hpp"

#include "base/json_input.hpp"
#include "base/limits.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace rh::host {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& source, const std::string& key, const std::string& why) {
  throw ConfigError(source + ": " + key + ": " + why);
}

std::string type_of(const json& value) { return value.type_name(); }

std::string string_at(const json& value, const std::string& source, const std::string& key) {
  if (!value.is_string() || value.get<std::string>().empty()) {
    fail(source, key, "must be a non-empty string, got " + json_excerpt(value));
  }
  return value.get<std::string>();
}

std::int64_t integer_at(const json& value, const std::string& source, const std::string& key, std::int64_t min) {
  if (!value.is_number_integer()) {
    fail(source, key, "must be an integer, got " + type_of(value) + " " + json_excerpt(value));
  }
  // Above INT64_MAX nlohmann holds an unsigned, which would wrap to a negative number.
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    fail(source, key, "must be at most " + std::to_string(INT64_MAX) + ", got " + value.dump());
  }
  const std::int64_t number = value.get<std::int64_t>();
  if (number < min) fail(source, key, "must be >= " + std::to_string(min) + ", got " + value.dump());
  return number;
}

void reject_unknown(const json& object, const std::vector<std::string>& known, const std::string& source,
                    const std::string& parent) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(source, member_path(parent, it.key()), "unknown key (known: " + list + ")");
    }
  }
}

// The text of a config file, refused beyond the size limit. A FIFO or /dev/zero has no size
// to check first, so reading stops one byte past the limit.
std::string read_config_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  const std::string too_large = path + ": the config file is larger than the limit of " + kMaxJsonInputText + " (" +
                                std::to_string(kMaxJsonInputBytes) + " bytes)";
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) > kMaxJsonInputBytes && !ec) {
    throw ConfigError(too_large);
  }
  std::string text;
  std::string chunk(64 * 1024, '\0');
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJsonInputBytes) throw ConfigError(too_large);
  }
  if (in.bad()) throw ConfigError(path + ": cannot read the config file");
  return text;
}

// A relative path in a config file is relative to the file's directory. The result always
// holds a '/', so a plugin next to a config file in the current directory ("libt.so") is
// "./libt.so", a path, not a bare name the loader refuses.
std::string relative_to(const std::string& base_dir, const std::string& path) {
  if (fs::path(path).is_absolute()) return path;
  const std::string joined = base_dir.empty() ? fs::path(path).lexically_normal().string()
                                              : (fs::path(base_dir) / path).lexically_normal().string();
  return joined.find('/') == std::string::npos ? "./" + joined : joined;
}

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = {"plugins",       "allow_untrusted_plugins",
                                                "flow",          "task",
                                                "params",        "runner",
                                                "tasks",         "concurrency_limits",
                                                "report",        "events",
                                                "trace",         "log",
                                                "waiter",        "cache",
                                                "grace_seconds", "store",
                                                "html"};
  return keys;
}

RunConfig load_run_config(const std::string& path) {
  return parse_run_config_text(read_config_text(path), path, fs::path(path).parent_path().string());
}

RunConfig parse_run_config_text(std::string_view text, const std::string& source, const std::string& base_dir) {
  json document;
  try {
    document = parse_json_input(text);
  } catch (const JsonInputError& e) {
    switch (e.kind()) {
      case JsonInputError::Kind::Syntax: throw ConfigError(source + ": not valid JSON: " + e.reason());
      case JsonInputError::Kind::TooLarge: throw ConfigError(source + ": the config " + e.reason());
      default: throw ConfigError(source + ": " + e.what());
    }
  }
  return parse_run_config(std::move(document), source, base_dir);
}

json parse_params_flag(std::string_view text) {
  json parsed;
  try {
    parsed = parse_json_input(text);
  } catch (const JsonInputError& e) {
    switch (e.kind()) {
      case JsonInputError::Kind::Syntax: throw ConfigError("--params is not valid JSON: " + e.reason());
      case JsonInputError::Kind::TooLarge: throw ConfigError("--params " + e.reason());
      default: throw ConfigError(std::string("--params: ") + e.what());
    }
  }
  if (!parsed.is_object()) throw ConfigError(std::string("--params must be a JSON object, got ") + parsed.type_name());
  return parsed;
}

RunConfig parse_run_config(json doc, const std::string& source, const std::string& base_dir) {
  // The document is ours: its large parts (params, runner options, task overrides) are moved
  // out rather than copied, which halves the peak memory of a large config.
  RunConfig config;
  config.source = source;
  if (!doc.is_object()) throw ConfigError(source + ": the config must be a JSON object, got " + type_of(doc));
  reject_unknown(doc, config_keys(), source, "");

  if (auto it = doc.find("plugins"); it != doc.end()) {
    if (!it->is_array()) fail(source, "plugins", "must be a list of plugin file paths, got " + type_of(*it));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& entry = (*it)[i];
      const std::string key = "plugins[" + std::to_string(i) + "]";
      if (!entry.is_object()) {
        config.plugins.push_back(relative_to(base_dir, string_at(entry, source, key)));
        continue;
      }
      // {"path": "...", "sha256": "<hex>"}: the file must have that digest.
      reject_unknown(entry, {"path", "sha256"}, source, key);
      const auto path = entry.find("path");
      if (path == entry.end()) fail(source, key, "needs a \"path\"");
      config.plugins.push_back(relative_to(base_dir, string_at(*path, source, key + ".path")));
      if (const auto digest = entry.find("sha256"); digest != entry.end()) {
        const std::string hex = digest->is_string() ? digest->get<std::string>() : std::string();
        if (!is_sha256_hex(hex)) {
          fail(source, key + ".sha256", "must be a SHA-256 of 64 hex digits, got " + json_excerpt(*digest));
        }
        config.plugin_sha256[config.plugins.back()] = lowercase(hex);
      }
    }
  }
  if (auto it = doc.find("allow_untrusted_plugins"); it != doc.end()) {
    if (!it->is_boolean()) fail(source, "allow_untrusted_plugins", "must be true or false, got " + json_excerpt(*it));
    config.allow_untrusted_plugins = it->get<bool>();
  }
  if (auto it = doc.find("flow"); it != doc.end()) config.flow = string_at(*it, source, "flow");
  if (auto it = doc.find("task"); it != doc.end()) config.task = string_at(*it, source, "task");
  if (config.flow && config.task) fail(source, "task", "cannot be combined with 'flow': choose one");
  if (auto it = doc.find("params"); it != doc.end()) {
    if (!it->is_object()) fail(source, "params", "must be a JSON object, got " + type_of(*it));
    config.params = std::move(*it);
  }
  if (auto it = doc.find("runner"); it != doc.end()) {
    if (it->is_string()) {
      config.runner.name = string_at(*it, source, "runner");
    } else if (it->is_object()) {
      if (auto name = it->find("name"); name != it->end()) {
        config.runner.name = string_at(*name, source, "runner.name");
      }
      for (auto field = it->begin(); field != it->end(); ++field) {
        if (field.key() != "name") config.runner.options[field.key()] = std::move(*field);
      }
      if (auto workers = config.runner.options.find("max_workers"); workers != config.runner.options.end()) {
        integer_at(*workers, source, "runner.max_workers", 1);
      }
    } else {
      fail(source, "runner", "must be a runner name or an object like {\"name\": \"tbb\"}, got " + type_of(*it));
    }
    if (config.runner.name.find('/') != std::string::npos) {
      config.runner.name = relative_to(base_dir, config.runner.name);
    }
  }
  if (auto it = doc.find("tasks"); it != doc.end()) {
    if (!it->is_object()) fail(source, "tasks", "must be an object of task name -> options, got " + type_of(*it));
    for (auto task = it->begin(); task != it->end(); ++task) {
      if (!task->is_object()) fail(source, member_path("tasks", task.key()), "must be an object of options");
    }
    config.task_overrides = std::move(*it);
  }
  if (auto it = doc.find("concurrency_limits"); it != doc.end()) {
    if (!it->is_object()) fail(source, "concurrency_limits", "must be an object of tag -> slots, got " + type_of(*it));
    for (auto limit = it->begin(); limit != it->end(); ++limit) {
      config.concurrency_limits[limit.key()] =
          integer_at(*limit, source, member_path("concurrency_limits", limit.key()), 0);
    }
  }
  if (auto it = doc.find("report"); it != doc.end())
    config.report = relative_to(base_dir, string_at(*it, source, "report"));
  if (auto it = doc.find("events"); it != doc.end())
    config.events = relative_to(base_dir, string_at(*it, source, "events"));
  if (auto it = doc.find("trace"); it != doc.end())
    config.trace = relative_to(base_dir, string_at(*it, source, "trace"));
  if (auto it = doc.find("html"); it != doc.end()) config.html = relative_to(base_dir, string_at(*it, source, "html"));
  if (auto it = doc.find("log"); it != doc.end()) {
    if (!it->is_object()) fail(source, "log", "must be an object like {\"level\": \"info\"}, got " + type_of(*it));
    reject_unknown(*it, {"level", "format"}, source, "log");
    if (auto level = it->find("level"); level != it->end()) config.log_level = string_at(*level, source, "log.level");
    if (auto format = it->find("format"); format != it->end()) {
      config.log_format = string_at(*format, source, "log.format");
    }
  }
  if (auto it = doc.find("waiter"); it != doc.end()) {
    if (!it->is_object()) fail(source, "waiter", "must be an object, got " + type_of(*it));
    reject_unknown(*it, {"max_entries", "ttl_seconds"}, source, "waiter");
    if (auto max = it->find("max_entries"); max != it->end()) {
      config.waiter.max_entries = static_cast<std::size_t>(integer_at(*max, source, "waiter.max_entries", 1));
    }
    if (auto ttl = it->find("ttl_seconds"); ttl != it->end()) {
      if (!ttl->is_number() || !(ttl->get<double>() > 0) || !std::isfinite(ttl->get<double>())) {
        fail(source, "waiter.ttl_seconds", "must be a number > 0, got " + json_excerpt(*ttl));
      }
      if (ttl->get<double>() > kMaxDurationSeconds) {
        fail(source, "waiter.ttl_seconds", std::string("must be at most ") + kMaxDurationText + ", got " + ttl->dump());
      }
      config.waiter.ttl_seconds = ttl->get<double>();
    }
  }
  if (auto it = doc.find("cache"); it != doc.end()) {
    if (!it->is_object()) fail(source, "cache", "must be an object, got " + type_of(*it));
    reject_unknown(*it, {"max_entries"}, source, "cache");
    if (auto max = it->find("max_entries"); max != it->end()) {
      config.cache_max_entries = static_cast<std::size_t>(integer_at(*max, source, "cache.max_entries", 1));
    }
  }
  if (auto it = doc.find("store"); it != doc.end()) {
    if (it->is_null()) {
      config.store_enabled = false;
    } else {
      if (!it->is_object())
        fail(source, "store", "must be null (no store) or an object like {\"path\": FILE}, got " + type_of(*it));
      reject_unknown(*it, {"path", "max_size_mb", "lock_lease_seconds"}, source, "store");
      if (auto path = it->find("path"); path != it->end()) {
        config.store_path = relative_to(base_dir, string_at(*path, source, "store.path"));
      }
      if (auto max = it->find("max_size_mb"); max != it->end()) {
        const std::int64_t mb = integer_at(*max, source, "store.max_size_mb", 1);
        constexpr std::int64_t kMaxMb = std::int64_t{1} << 24;  // 16 TiB, SQLite's own limit at 4 KiB pages
        if (mb > kMaxMb)
          fail(source, "store.max_size_mb", "must be at most " + std::to_string(kMaxMb) + ", got " + max->dump());
        config.store_max_bytes = mb * 1024 * 1024;
      }
      if (auto lease = it->find("lock_lease_seconds"); lease != it->end()) {
        config.store_lock_lease_seconds = integer_at(*lease, source, "store.lock_lease_seconds", 1);
        if (config.store_lock_lease_seconds > 86400) {
          fail(source, "store.lock_lease_seconds", "must be at most 86400 (a day), got " + lease->dump());
        }
      }
    }
  }
  if (auto it = doc.find("grace_seconds"); it != doc.end()) {
    if (!it->is_number() || !(it->get<double>() >= 0) || it->get<double>() > kMaxGraceSeconds) {
      fail(source, "grace_seconds", "must be a number of seconds from 0 to 3600, got " + it->dump());
    }
    config.grace_seconds = it->get<double>();
  }
  return config;
}

}  // namespace rh::host
