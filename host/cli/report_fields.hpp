// Fields the report (--report) and `runner-host show --output json` write the same way.
#pragma once

#include "base/time_format.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace rh::host {

// Stored JSON text as JSON: `when_empty` for "", and text that does not parse as a string.
inline nlohmann::json parse_or_text(const std::string& text, const nlohmann::json& when_empty) {
  if (text.empty()) return when_empty;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? nlohmann::json(text) : parsed;
}

// An RFC 3339 timestamp, or null for 0 (never).
inline nlohmann::json time_or_null(std::int64_t us) {
  return us == 0 ? nlohmann::json() : nlohmann::json(format_timestamp_us(us));
}

}  // namespace rh::host
