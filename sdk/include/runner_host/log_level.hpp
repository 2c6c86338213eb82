// rh::LogLevel: the levels of ctx.log() and RunInfo::log(), those of the host's log.
#pragma once

#include <runner_host/abi.h>

#include <cstdint>

namespace rh {

enum class LogLevel : std::uint32_t {
  trace = RH_LOG_TRACE,
  debug = RH_LOG_DEBUG,
  info = RH_LOG_INFO,
  warn = RH_LOG_WARN,
  error = RH_LOG_ERROR,
  critical = RH_LOG_CRITICAL,
};

}  // namespace rh
