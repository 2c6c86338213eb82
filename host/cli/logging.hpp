// spdlog set-up for the host: level and text or JSON-lines format, always on stderr so
// stdout carries only results and tables.
#pragma once

#include <stdexcept>
#include <string>

namespace rh::host {

class LoggingError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// level: trace|debug|info|warn|error|critical|off; format: text|json. Throws LoggingError.
void configure_logging(const std::string& level, const std::string& format);

}  // namespace rh::host
