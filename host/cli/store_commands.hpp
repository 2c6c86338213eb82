// The subcommands that read or tidy the store without running anything (docs/store.md):
//   runner-host runs [--limit N] [--flow NAME] [--state S] [--output text|json]
//   runner-host show ID|last [--all] [--output text|json]
//   runner-host store info [--output text|json]
//   runner-host store prune --older-than AGE
// Each takes --store PATH (or the config's "store.path"), else the default path. The read
// commands open the store read-only: they never create, migrate or lock it, so they run
// beside a runner-host that is writing it.
#pragma once

#include "cli/run_config.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

namespace rh::host {

class Store;

// Where the store is: --store or config "store.path", else the default path. Throws StoreError.
std::filesystem::path store_path_of(const RunConfig& config);
// That store, opened read-only (it must exist). Throws StoreError.
std::unique_ptr<Store> open_store_to_read(const RunConfig& config);

struct RunsQuery {
  std::size_t limit = 20;
  std::string flow;   // empty: any
  std::string state;  // empty: any
  bool json = false;
};

struct ShowQuery {
  std::string ref;   // an id, a unique prefix of one, or "last"
  bool all = false;  // every task run, not only those that did not complete (beyond 50)
  bool json = false;
};

// Each returns the exit status: 0, or 2 with a one-line error on `err` (no store, a store
// that cannot be read, an id that names no run or several, a bad argument).
int runs_command(const RunConfig& config, const RunsQuery& query, std::ostream& out, std::ostream& err);
int show_command(const RunConfig& config, const ShowQuery& query, std::ostream& out, std::ostream& err);
int store_info_command(const RunConfig& config, bool json, std::ostream& out, std::ostream& err);
int store_prune_command(const RunConfig& config, const std::string& older_than, std::ostream& out, std::ostream& err);

// "90s", "15m", "12h", "7d", "2w" (a positive whole number and a unit) in microseconds;
// nothing when the text is not one.
std::optional<std::int64_t> parse_age(const std::string& text);

}  // namespace rh::host
