// What to run and how: read from a JSON config file (docs/config.md), then overridden by
// command-line flags. Every key is validated; errors name the file and the key.
#pragma once

#include "events/task_run_waiter.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr double kDefaultGraceSeconds = 2;
inline constexpr double kMaxGraceSeconds = 3600;

struct RunnerConfig {
  std::string name = "tbb";                           // a runner name or a path to a runner plugin
  nlohmann::json options = nlohmann::json::object();  // passed to the runner (without "name")
};

struct RunConfig {
  std::string source = "command line";  // the config file, for error messages
  std::vector<std::string> plugins;
  // Plugin path (as in `plugins`) -> the SHA-256 (lowercase hex) the file must have.
  std::map<std::string, std::string> plugin_sha256;
  // Load plugin files that fail the trust check (docs/config.md, "Trusted plugin files").
  bool allow_untrusted_plugins = false;
  std::optional<std::string> flow;
  std::optional<std::string> task;
  nlohmann::json params = nlohmann::json::object();
  RunnerConfig runner;
  nlohmann::json task_overrides = nlohmann::json::object();  // task name -> options
  std::map<std::string, std::int64_t> concurrency_limits;
  std::optional<std::string> report;
  std::optional<std::string> events;
  std::optional<std::string> trace;  // --trace FILE (cli/trace_file.hpp)
  std::optional<std::string> html;   // --html FILE (cli/html_report.hpp)
  std::string log_level = "info";
  std::string log_format = "text";
  WaiterOptions waiter;
  std::size_t cache_max_entries = 10000;
  // How long the host waits for attempts it asked to stop (after an interrupt, or at the
  // end for an attempt still executing after its timeout) before it abandons them.
  double grace_seconds = kDefaultGraceSeconds;
  // The store (docs/store.md): on unless --no-store or "store": null; at store_path, else
  // the default path (store/store_path.hpp).
  bool store_enabled = true;
  std::optional<std::string> store_path;
  std::int64_t store_max_bytes = 0;           // "store.max_size_mb"; 0: no limit
  std::int64_t store_lock_lease_seconds = 0;  // "store.lock_lease_seconds"; 0: the store's default
  bool no_cache = false;                      // --no-cache
  bool refresh_cache = false;                 // --refresh-cache
  std::optional<std::string> resume;          // --resume ID|last
  bool no_progress = false;                   // --no-progress (cli/progress_line.hpp)
  std::string command_line;                   // as the store records it
};

// Reads and validates a config file of at most kMaxJsonInputBytes (base/limits.hpp). Relative
// plugin, report and events paths are taken relative to the file's directory. Throws
// ConfigError ("<file>: <key>: <why>").
RunConfig load_run_config(const std::string& path);

// The same from the file's text (source names it in errors).
RunConfig parse_run_config_text(std::string_view text, const std::string& source, const std::string& base_dir);

// The same from an already parsed document.
RunConfig parse_run_config(nlohmann::json document, const std::string& source, const std::string& base_dir);

// The text of the --params flag: a JSON object within the bounds of base/limits.hpp. Throws
// ConfigError ("--params ...").
nlohmann::json parse_params_flag(std::string_view text);

// The keys a config file may have.
const std::vector<std::string>& config_keys();

}  // namespace rh::host
