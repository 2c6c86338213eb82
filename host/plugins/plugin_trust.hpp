// Whether a plugin file may be loaded: nobody but its owner and root can have changed it,
// or can change it before it is loaded. The rule is OpenSSH's StrictModes, applied to the
// file's real path (symbolic links resolved) and to every directory on it up to "/":
//
//   - each must be owned by root or by the user running runner-host (the effective uid);
//   - none may be group- or world-writable (mode & 022), whatever the group: a group of one
//     member today may get another tomorrow, and the host cannot tell which;
//   - except a directory with the sticky bit (like /tmp, 1777): others may add entries to
//     it but cannot rename or remove ours, so what it holds stays as trusted as its owner.
//
// docs/config.md ("Trusted plugin files") says the same for users.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace rh::host {

// Why `real_path` (absolute, without symbolic links) is not trusted, e.g. "directory '/x'
// is world-writable (mode 0777)"; nothing when it is. A file that cannot be inspected is
// not trusted either.
std::optional<std::string> untrusted_reason(const std::filesystem::path& real_path);

// The same as a PluginError naming the plugin as the user gave it (`shown`) and the flag
// that loads it anyway.
void check_plugin_trust(const std::filesystem::path& real_path, const std::string& shown);

}  // namespace rh::host
