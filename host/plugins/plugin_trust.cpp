#include "plugins/plugin_trust.hpp"

#include "plugins/plugin_loader.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rh::host {
namespace {

namespace fs = std::filesystem;

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string user_text(uid_t uid) {
  std::string text = "uid " + std::to_string(uid);
  // getpwuid_r: the lookup may run while other threads use the password database.
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[1024];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) == 0 && found != nullptr) {
    text += std::string(" (") + found->pw_name + ")";
  }
  return text;
}

std::optional<std::string> reason_for(const fs::path& path, bool is_file) {
  const std::string what = std::string(is_file ? "file" : "directory") + " '" + path.string() + "'";
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return what + " cannot be inspected: " + std::strerror(errno);
  const uid_t me = geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    return what + " is owned by " + user_text(st.st_uid) + ", neither root nor the user running runner-host (" +
           user_text(me) + ")";
  }
  const bool sticky_directory = !is_file && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
  if (sticky_directory) return std::nullopt;
  if ((st.st_mode & S_IWOTH) != 0) return what + " is world-writable (mode " + mode_text(st.st_mode) + ")";
  if ((st.st_mode & S_IWGRP) != 0) return what + " is group-writable (mode " + mode_text(st.st_mode) + ")";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> untrusted_reason(const fs::path& real_path) {
  if (auto reason = reason_for(real_path, true)) return reason;
  for (fs::path dir = real_path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (auto reason = reason_for(dir, false)) return reason;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

void check_plugin_trust(const fs::path& real_path, const std::string& shown) {
  if (auto reason = untrusted_reason(real_path)) {
    throw PluginError("refusing plugin '" + shown + "': " + *reason +
                      "; pass --allow-untrusted-plugins to load it anyway");
  }
}

}  // namespace rh::host
