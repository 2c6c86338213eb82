// Extensions (abi.h): features a host or plugin offers under a versioned id, looked up at
// run time so that a plugin built for an older host keeps loading and simply finds less.
#pragma once

#include <runner_host/detail/host.hpp>

#include <string_view>

namespace rh {

// The host's extension table for `id`, or nullptr when this host has none (or predates
// extensions). T is the struct the id documents, e.g. rh_host_info for RH_EXT_HOST_INFO.
template <class T>
const T* host_extension(std::string_view id) {
  const rh_host_api& api = detail::host();
  if (!RH_HAS_FIELD(&api, rh_host_api, get_extension) || api.get_extension == nullptr) return nullptr;
  return static_cast<const T*>(api.get_extension(to_rh_str(id)));
}

}  // namespace rh
