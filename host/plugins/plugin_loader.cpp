#include "plugins/plugin_loader.hpp"

#include "plugins/descriptor_checks.hpp"
#include "plugins/host_api.hpp"

#include <runner_host/abi_text.hpp>

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <system_error>

namespace rh::host {
namespace {

namespace fs = std::filesystem;

// Process-lifetime storage: never destroyed, so no library is ever unloaded.
std::deque<boost::dll::shared_library>& open_libraries() {
  static auto* libraries = new std::deque<boost::dll::shared_library>();
  return *libraries;
}
std::mutex& libraries_mutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}

std::string first_line(std::string message) {
  const auto end = message.find('\n');
  if (end != std::string::npos) message.resize(end);
  return message;
}

std::vector<fs::path> runner_dirs(const fs::path& exe_dir) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("RUNNER_HOST_RUNNER_PATH")) {
    std::string list = env;
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t end = list.find(':', start);
      const std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!item.empty()) dirs.emplace_back(item);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  dirs.push_back(exe_dir / "runners");
  dirs.push_back(exe_dir / ".." / "lib" / "runner-host" / "runners");
  return dirs;
}

constexpr const char* kRunnerPrefix = "librh_runner_";
constexpr const char* kRunnerSuffix = ".so";

}  // namespace

const void* LoadedPlugin::extension(std::string_view id) const {
  if (descriptor == nullptr || !RH_HAS_FIELD(descriptor, rh_plugin_descriptor, get_extension) ||
      descriptor->get_extension == nullptr) {
    return nullptr;
  }
  return descriptor->get_extension(to_rh_str(id));
}

LoadedPlugin PluginLoader::open(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw PluginError("plugin '" + path + "': file not found");
  if (fs::is_directory(path, ec)) throw PluginError("plugin '" + path + "': is a directory, not a shared library");

  boost::dll::shared_library library;
  std::error_code load_error;
  library.load(fs::absolute(path), load_error, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  if (load_error) {
    // The dynamic loader's own explanation ("file too short", "undefined symbol: ...") is
    // still pending in dlerror() after Boost.DLL's error-code overload returns.
    const char* reason = dlerror();
    throw PluginError("plugin '" + path + "': not a loadable shared library: " +
                      first_line(reason != nullptr ? reason : load_error.message()));
  }
  if (!library.has(RH_ENTRY_SYMBOL)) {
    throw PluginError("plugin '" + path +
                      "': no '" RH_ENTRY_SYMBOL "' entry symbol (build it with RH_TASK_LIBRARY or RH_RUNNER_PLUGIN)");
  }
  const auto entry = library.get<const rh_plugin_descriptor*(const rh_host_offer*)>(RH_ENTRY_SYMBOL);
  const rh_host_offer offer{sizeof(rh_host_offer), RH_ABI_VERSION_MAJOR, RH_ABI_VERSION_MINOR, host_api()};
  const rh_plugin_descriptor* descriptor = entry(&offer);
  check_descriptor(descriptor, path);
  {
    std::lock_guard<std::mutex> lock(libraries_mutex());
    open_libraries().push_back(std::move(library));
  }
  LoadedPlugin plugin;
  plugin.path = path;
  plugin.descriptor = descriptor;
  return plugin;
}

LoadedPlugin PluginLoader::load_task_library(const std::string& path) {
  LoadedPlugin plugin = open(path);
  const rh_plugin_descriptor& d = *plugin.descriptor;
  check_task_library_descriptor(d, path);
  ErrorCapture error;
  plugin.library = d.load_library(&error.sink);
  if (plugin.library == nullptr) {
    throw PluginError("plugin '" + path + "': registration failed: " +
                      (error.type.empty() ? std::string() : error.type + ": ") + first_line(error.message));
  }
  return plugin;
}

LoadedPlugin PluginLoader::load_runner(const std::string& path) {
  LoadedPlugin plugin = open(path);
  check_runner_descriptor(*plugin.descriptor, path);
  return plugin;
}

std::vector<std::string> available_runners(const fs::path& exe_dir) {
  std::vector<std::string> names;
  const std::string prefix = kRunnerPrefix;
  const std::string suffix = kRunnerSuffix;
  for (const fs::path& dir : runner_dirs(exe_dir)) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string file = it->path().filename().string();
      if (file.size() > prefix.size() + suffix.size() && file.compare(0, prefix.size(), prefix) == 0 &&
          file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
        names.push_back(file.substr(prefix.size(), file.size() - prefix.size() - suffix.size()));
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string locate_runner(const std::string& name_or_path, const fs::path& exe_dir) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 3 && name_or_path.compare(name_or_path.size() - 3, 3, ".so") == 0);
  if (is_path) return name_or_path;
  const std::string file = kRunnerPrefix + name_or_path + kRunnerSuffix;
  for (const fs::path& dir : runner_dirs(exe_dir)) {
    std::error_code ec;
    const fs::path candidate = dir / file;
    if (fs::exists(candidate, ec)) return candidate.lexically_normal().string();
  }
  std::string known;
  for (const std::string& name : available_runners(exe_dir)) known += (known.empty() ? "" : ", ") + name;
  throw PluginError("unknown runner '" + name_or_path + "' (available: " + (known.empty() ? "none found" : known) +
                    ")");
}

}  // namespace rh::host
