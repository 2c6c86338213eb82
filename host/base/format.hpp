// Small text helpers for log lines and state messages.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace rh::host {

// 0.1 -> "0.1", 2 -> "2", 1.25 -> "1.25".
inline std::string format_seconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", seconds);
  return buffer;
}

// 850 -> "850 us", 1500 -> "1.5 ms", 2500000 -> "2.50 s": durations in tables.
inline std::string format_duration(std::int64_t us) {
  char buffer[32];
  if (us < 1000) {
    std::snprintf(buffer, sizeof buffer, "%lld us", static_cast<long long>(us));
  } else if (us < 1000000) {
    std::snprintf(buffer, sizeof buffer, "%.1f ms", us / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f s", us / 1e6);
  }
  return buffer;
}

// 1234567 -> "1,234,567": counts on the progress line.
inline std::string format_count(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), 1, ',');
  return digits;
}

}  // namespace rh::host
