// Extensions the host offers plugins, by versioned id (abi.h, DESIGN.md section 3 rule 8):
// rh_host_api.get_extension and rh_runner_host.get_extension answer from here.
#pragma once

#include <string_view>

namespace rh::host {

// The host's table for `id` (valid until the process exits), or nullptr.
const void* host_extension(std::string_view id) noexcept;

// This host's release, e.g. "0.2.0".
std::string_view host_version() noexcept;

}  // namespace rh::host
