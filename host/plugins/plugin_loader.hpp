// Loading plugins with Boost.DLL: open the file (RTLD_LOCAL), find the one entry symbol,
// negotiate the ABI version and kind. Libraries are never unloaded (DESIGN.md section 3,
// rule 9): anything from them may run or be referenced until the process exits, by any
// session, so their handles are a process resource rather than a session's.
#pragma once

#include <runner_host/abi.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host {

// A plugin that cannot be used; what() is one line naming the file.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
  std::string path;       // as the user gave it
  std::string real_path;  // the file loaded: absolute, symbolic links resolved
  const rh_plugin_descriptor* descriptor = nullptr;
  const rh_task_library* library = nullptr;  // task libraries, after registration

  // The plugin's extension table for `id`, or nullptr (also for plugins built before
  // extensions existed, ABI 1.1 and older).
  const void* extension(std::string_view id) const;
};

// Every plugin file passes inspect_plugin_file before it is opened; `allow_untrusted` skips
// its trust check (--allow-untrusted-plugins).
class PluginLoader {
 public:
  explicit PluginLoader(bool allow_untrusted = false) : allow_untrusted_(allow_untrusted) {}

  // Loads a task library and runs its registration. A non-empty `expected_sha256` (lowercase
  // hex) must be the file's digest. Throws PluginError.
  LoadedPlugin load_task_library(const std::string& path, const std::string& expected_sha256 = {});
  // Loads a runner plugin. Throws PluginError.
  LoadedPlugin load_runner(const std::string& path);

 private:
  LoadedPlugin open(const std::string& path, const std::string& expected_sha256);

  bool allow_untrusted_;
};

// What the loader checks before dlopen, in this order, each a PluginError naming `path`:
// a path rather than a bare name (nothing is looked up in the current directory), an
// existing regular file (a FIFO would block dlopen), trusted (plugin_trust.hpp) unless
// `allow_untrusted`, an ELF shared library of this host's machine (elf_check.hpp), and of
// the digest `expected_sha256` when one is given. Returns the file's real path.
std::string inspect_plugin_file(const std::string& path, bool allow_untrusted, const std::string& expected_sha256 = {});

// Finds a runner plugin: a path (contains '/') is used as given; a name (anything else,
// "tbb.so" included: never a file of the current directory) is looked up as
// librh_runner_<name>.so in $RUNNER_HOST_RUNNER_PATH, <exe dir>/runners and
// <exe dir>/../lib/runner-host/runners, first match wins. Throws PluginError listing the
// runners it found.
std::string locate_runner(const std::string& name_or_path, const std::filesystem::path& exe_dir);

// Whether `located` (from locate_runner) is outside the host's own runner directories, i.e.
// it came from $RUNNER_HOST_RUNNER_PATH or was given as a path.
bool runner_is_from_elsewhere(const std::string& located, const std::filesystem::path& exe_dir);

// Runner names available in the search path, sorted.
std::vector<std::string> available_runners(const std::filesystem::path& exe_dir);

}  // namespace rh::host
