// SDK version: the ABI it speaks.
#pragma once

#include <runner_host/abi.h>

namespace rh {
constexpr unsigned sdk_abi_major = RH_ABI_VERSION_MAJOR;
constexpr unsigned sdk_abi_minor = RH_ABI_VERSION_MINOR;
}  // namespace rh
