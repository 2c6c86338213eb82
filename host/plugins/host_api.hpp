// The host API table handed to every plugin at load (see abi.h, rh_host_api).
#pragma once

#include <runner_host/abi.h>

namespace rh::host {

const rh_host_api* host_api() noexcept;

}  // namespace rh::host
