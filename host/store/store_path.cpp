#include "store/store_path.hpp"

#include "store/store.hpp"

#include <cstdlib>

namespace rh::host {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::filesystem::path default_store_path(const EnvLookup& env) {
  const auto get = [&env](const char* name) -> std::optional<std::string> {
    std::optional<std::string> value = env(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  if (auto home = get("RUNNER_HOST_HOME")) return std::filesystem::path(*home) / "store.db";
  // The XDG specification: a relative path in XDG_STATE_HOME is invalid and ignored.
  if (auto state = get("XDG_STATE_HOME"); state && std::filesystem::path(*state).is_absolute()) {
    return std::filesystem::path(*state) / "runner-host" / "store.db";
  }
  if (auto home = get("HOME")) return std::filesystem::path(*home) / ".local" / "state" / "runner-host" / "store.db";
  throw StoreError("no place for the store: none of RUNNER_HOST_HOME, XDG_STATE_HOME and HOME is set");
}

}  // namespace rh::host
