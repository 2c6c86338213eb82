#include "plugins/plugin_loader.hpp"

#include "base/sha256.hpp"
#include "plugins/descriptor_checks.hpp"
#include "plugins/elf_check.hpp"
#include "plugins/host_api.hpp"
#include "plugins/plugin_trust.hpp"

#include <runner_host/abi_text.hpp>

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
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

// Closes a descriptor when the inspection ends, however it ends.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string error_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return first_line(e.what());
  } catch (...) {
    return "an exception that is not a std::exception";
  }
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

std::string inspect_plugin_file(const std::string& path, bool allow_untrusted, const std::string& expected_sha256) {
  const std::string plugin = "plugin '" + path + "'";
  if (path.find('/') == std::string::npos) {
    throw PluginError(plugin + ": a bare file name is not looked up anywhere; give a path, e.g. './" + path + "'");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw PluginError(plugin + ": file not found");
    throw PluginError(plugin + ": cannot inspect it: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw PluginError(plugin + ": is a directory, not a shared library");
  if (auto kind = special_file_kind(st.st_mode)) throw PluginError(plugin + ": " + *kind + ", not a shared library");
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) throw PluginError(plugin + ": cannot resolve its path: " + ec.message());
  if (!allow_untrusted) check_plugin_trust(real, path);
  // O_NONBLOCK: should the file have been replaced by a FIFO since the stat, opening it
  // must not wait for a writer.
  const FdCloser file{::open(real.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) throw PluginError(plugin + ": cannot open it: " + std::strerror(errno));
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw PluginError(plugin + ": " + special_file_kind(st.st_mode).value_or("is not a regular file") +
                      ", not a shared library");
  }
  if (auto problem = elf_problem(file.fd)) throw PluginError(plugin + ": " + *problem);
  if (!expected_sha256.empty()) {
    std::string actual;
    try {
      actual = sha256_hex_of_fd(file.fd);
    } catch (const DigestError& e) {
      throw PluginError(plugin + ": cannot compute its SHA-256: " + e.what());
    }
    if (actual != expected_sha256) {
      throw PluginError(plugin + ": SHA-256 mismatch for " + real.string() + ": expected " + expected_sha256 +
                        ", actual " + actual);
    }
  }
  return real.string();
}

LoadedPlugin PluginLoader::open(const std::string& path, const std::string& expected_sha256) {
  const std::string real = inspect_plugin_file(path, allow_untrusted_, expected_sha256);

  boost::dll::shared_library library;
  std::error_code load_error;
  // The real path: the file inspected, whatever a symbolic link on the way points to now.
  library.load(fs::path(real), load_error, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
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
  // The entry is C, but a C++ plugin's may still throw: its error names the plugin.
  const rh_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry(&offer);
  } catch (...) {
    throw PluginError("plugin '" + path + "': its entry point threw: " + error_text(std::current_exception()));
  }
  check_descriptor(descriptor, path);
  {
    std::lock_guard<std::mutex> lock(libraries_mutex());
    open_libraries().push_back(std::move(library));
  }
  LoadedPlugin plugin;
  plugin.path = path;
  plugin.real_path = real;
  plugin.descriptor = descriptor;
  return plugin;
}

LoadedPlugin PluginLoader::load_task_library(const std::string& path, const std::string& expected_sha256) {
  LoadedPlugin plugin = open(path, expected_sha256);
  const rh_plugin_descriptor& d = *plugin.descriptor;
  check_task_library_descriptor(d, path);
  ErrorCapture error;
  try {
    plugin.library = d.load_library(&error.sink);
  } catch (...) {
    throw PluginError("plugin '" + path + "': registration threw: " + error_text(std::current_exception()));
  }
  if (plugin.library == nullptr) {
    const std::string message = first_line(error.message);
    throw PluginError("plugin '" + path +
                      "': registration failed: " + (error.type.empty() ? std::string() : error.type + ": ") +
                      (message.empty() ? "the plugin gave no reason" : message));
  }
  return plugin;
}

LoadedPlugin PluginLoader::load_runner(const std::string& path) {
  LoadedPlugin plugin = open(path, {});
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
  if (name_or_path.find('/') != std::string::npos) return name_or_path;
  const std::string file = kRunnerPrefix + name_or_path + kRunnerSuffix;
  for (const fs::path& dir : runner_dirs(exe_dir)) {
    std::error_code ec;
    const fs::path candidate = dir / file;
    if (fs::exists(candidate, ec)) return candidate.lexically_normal().string();
  }
  std::string known;
  for (const std::string& name : available_runners(exe_dir)) known += (known.empty() ? "" : ", ") + name;
  const bool looks_like_file = name_or_path.size() > 3 && name_or_path.compare(name_or_path.size() - 3, 3, ".so") == 0;
  throw PluginError(
      "unknown runner '" + name_or_path + "' (available: " + (known.empty() ? "none found" : known) + ")" +
      (looks_like_file ? "; a runner plugin file is given by a path, e.g. './" + name_or_path + "'" : ""));
}

bool runner_is_from_elsewhere(const std::string& located, const fs::path& exe_dir) {
  std::error_code ec;
  const fs::path file = fs::weakly_canonical(located, ec);
  for (const fs::path& own : {exe_dir / "runners", exe_dir / ".." / "lib" / "runner-host" / "runners"}) {
    std::error_code own_ec;
    if (!ec && fs::weakly_canonical(own, own_ec) == file.parent_path() && !own_ec) return false;
  }
  return true;
}

}  // namespace rh::host
