#include "cli/store_commands.hpp"

#include "base/clock.hpp"
#include "cli/exit_codes.hpp"
#include "store/store.hpp"
#include "store/store_path.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>

namespace rh::host {
namespace {

std::string format_bytes(std::uint64_t bytes) {
  char buffer[32];
  if (bytes < 1024) {
    std::snprintf(buffer, sizeof buffer, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1f KiB", bytes / 1024.0);
  } else if (bytes < 1024ull * 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1f MiB", bytes / (1024.0 * 1024));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
  return buffer;
}

std::string plural(std::uint64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + ' ' + (n == 1 ? one : many);
}

// The store a command opens; `what` says what the command would do with it.
StoreOptions command_store(const RunConfig& config, const char* what) {
  if (!config.store_enabled) {
    throw StoreError(std::string("the config says \"store\": null: there is no store to ") + what);
  }
  StoreOptions options;
  options.path = store_path_of(config);
  return options;
}

}  // namespace

std::filesystem::path store_path_of(const RunConfig& config) {
  if (config.store_path) return *config.store_path;
  return default_store_path(process_environment());
}

std::unique_ptr<Store> open_store_to_read(const RunConfig& config) {
  StoreOptions options = command_store(config, "read");
  options.read_only = true;
  return std::make_unique<Store>(options);
}

std::optional<std::int64_t> parse_age(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) ++digits;
  if (digits == 0 || digits > 9 || digits + 1 != text.size()) return std::nullopt;
  const std::int64_t n = std::stoll(text.substr(0, digits));
  if (n <= 0) return std::nullopt;
  std::int64_t unit_seconds = 0;
  switch (text.back()) {
    case 's': unit_seconds = 1; break;
    case 'm': unit_seconds = 60; break;
    case 'h': unit_seconds = 3600; break;
    case 'd': unit_seconds = 86400; break;
    case 'w': unit_seconds = 7 * 86400; break;
    default: return std::nullopt;
  }
  return n * unit_seconds * 1000000;
}

int store_info_command(const RunConfig& config, bool json, std::ostream& out, std::ostream& err) {
  try {
    const StoreInfo info = open_store_to_read(config)->info();
    if (json) {
      out << nlohmann::json{{"path", info.path},
                            {"bytes", info.file_bytes},
                            {"result_file_bytes", info.result_file_bytes},
                            {"schema_version", info.schema_version},
                            {"flow_runs", info.flow_runs},
                            {"task_runs", info.task_runs},
                            {"persisted_results", info.persisted_results},
                            {"cache_entries", info.cache_entries},
                            {"result_files", info.result_files}}
                 .dump(2)
          << '\n';
      return kExitOk;
    }
    out << "store              " << info.path << '\n'
        << "size               " << format_bytes(info.file_bytes) << " (database, log and result files)\n"
        << "schema version     " << info.schema_version << '\n'
        << "flow runs          " << info.flow_runs << '\n'
        << "task runs          " << info.task_runs << '\n'
        << "persisted results  " << info.persisted_results << '\n'
        << "cache entries      " << info.cache_entries << '\n'
        << "result files       " << info.result_files << " (" << format_bytes(info.result_file_bytes) << ")\n";
    return kExitOk;
  } catch (const StoreError& e) {
    err << "runner-host: " << e.what() << '\n';
    return kExitUsage;
  }
}

int store_prune_command(const RunConfig& config, const std::string& older_than, std::ostream& out, std::ostream& err) {
  const std::optional<std::int64_t> age = parse_age(older_than);
  if (!age) {
    err << "runner-host: --older-than takes an age such as 90s, 15m, 12h, 7d or 2w, got '" << older_than << "'\n";
    return kExitUsage;
  }
  try {
    const StoreOptions options = command_store(config, "prune");
    if (!std::filesystem::exists(options.path)) {  // a writer would create it
      throw StoreError("store " + options.path.string() + " does not exist");
    }
    Store store(options);
    const PruneResult pruned = store.prune(wall_us() - *age);
    out << "pruned " << plural(pruned.flow_runs, "flow run", "flow runs") << ", "
        << plural(pruned.task_runs, "task run", "task runs") << ", "
        << plural(pruned.cache_entries, "expired cache entry", "expired cache entries") << ", "
        << plural(pruned.result_files, "result file", "result files");
    if (pruned.transactions != 0) {
      out << ", " << plural(pruned.transactions, "transaction record", "transaction records");
    }
    if (pruned.kept_for_cache != 0) {
      out << "; kept " << plural(pruned.kept_for_cache, "older task run", "older task runs")
          << " that unexpired cache entries use";
    }
    out << '\n';
    return kExitOk;
  } catch (const StoreError& e) {
    err << "runner-host: " << e.what() << '\n';
    return kExitUsage;
  }
}

}  // namespace rh::host
