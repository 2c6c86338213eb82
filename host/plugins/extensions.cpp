#include "plugins/extensions.hpp"

#include <runner_host/abi.h>

#include <string_view>

#ifndef RH_VERSION
#error "RH_VERSION (the project version) must be defined by the build"
#endif

namespace rh::host {
namespace {

constexpr std::string_view kName = "runner-host";
constexpr std::string_view kVersion = RH_VERSION;

const rh_host_info kHostInfo{sizeof(rh_host_info), rh_str{kName.data(), kName.size()},
                             rh_str{kVersion.data(), kVersion.size()}};

}  // namespace

std::string_view host_version() noexcept { return kVersion; }

const void* host_extension(std::string_view id) noexcept {
  if (id == RH_EXT_HOST_INFO) return &kHostInfo;
  return nullptr;
}

}  // namespace rh::host
