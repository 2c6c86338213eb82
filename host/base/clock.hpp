// The two clocks of the engine: a monotonic one for deadlines (shared with plugins through
// the ABI) and the wall clock for state timestamps in events and reports.
#pragma once

#include <chrono>
#include <cstdint>

namespace rh::host {

// Monotonic nanoseconds; the time base of every rh_time_ns deadline.
inline std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Wall clock, microseconds since the Unix epoch.
inline std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Deadline `seconds` from now on the monotonic clock, saturating instead of overflowing.
inline std::int64_t deadline_in(double seconds) {
  const double ns = seconds * 1e9;
  const std::int64_t now = monotonic_ns();
  if (ns >= static_cast<double>(INT64_MAX - now)) return INT64_MAX;
  return now + static_cast<std::int64_t>(ns < 0 ? 0 : ns);
}

}  // namespace rh::host
