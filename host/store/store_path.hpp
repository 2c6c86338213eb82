// Where the store lives when no --store is given (docs/store.md).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace rh::host {

// Reads one environment variable: its value, or nothing when it is unset. Passed in rather
// than read from the process, so tests (and a Session with an environment of its own) never
// see the real home.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv), for the CLI.
EnvLookup process_environment();

// $RUNNER_HOST_HOME/store.db, else $XDG_STATE_HOME/runner-host/store.db, else
// $HOME/.local/state/runner-host/store.db (the XDG base directory default). As the XDG
// specification says, a variable set to "" counts as unset and a relative XDG_STATE_HOME is
// ignored. Throws StoreError when none of the three gives a place.
std::filesystem::path default_store_path(const EnvLookup& env);

}  // namespace rh::host
