// Small text helpers for log lines and state messages.
#pragma once

#include <cstdio>
#include <string>

namespace rh::host {

// 0.1 -> "0.1", 2 -> "2", 1.25 -> "1.25".
inline std::string format_seconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", seconds);
  return buffer;
}

}  // namespace rh::host
