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
  std::string path;  // as the user gave it
  const rh_plugin_descriptor* descriptor = nullptr;
  const rh_task_library* library = nullptr;  // task libraries, after registration

  // The plugin's extension table for `id`, or nullptr (also for plugins built before
  // extensions existed, ABI 1.1 and older).
  const void* extension(std::string_view id) const;
};

class PluginLoader {
 public:
  // Loads a task library and runs its registration. Throws PluginError.
  LoadedPlugin load_task_library(const std::string& path);
  // Loads a runner plugin. Throws PluginError.
  LoadedPlugin load_runner(const std::string& path);

 private:
  LoadedPlugin open(const std::string& path);
};

// Finds a runner plugin: a path (contains '/' or ends in .so) is used as given; a name is
// looked up as librh_runner_<name>.so in $RUNNER_HOST_RUNNER_PATH, <exe dir>/runners and
// <exe dir>/../lib/runner-host/runners. Throws PluginError listing the runners it found.
std::string locate_runner(const std::string& name_or_path, const std::filesystem::path& exe_dir);

// Runner names available in the search path, sorted.
std::vector<std::string> available_runners(const std::filesystem::path& exe_dir);

}  // namespace rh::host
