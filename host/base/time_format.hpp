// Timestamps in reports and event lines: RFC 3339 UTC with microseconds.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace rh::host {

// 1700000000123456 -> "2023-11-14T22:13:20.123456Z"
inline std::string format_timestamp_us(std::int64_t us) {
  std::int64_t whole = us / 1000000;
  std::int64_t micros = us % 1000000;
  if (micros < 0) {  // before the epoch: keep the fraction positive
    micros += 1000000;
    whole -= 1;
  }
  const std::time_t seconds = static_cast<std::time_t>(whole);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(micros));
  return buffer;
}

}  // namespace rh::host
