// spdlog set-up for the host: level and text or JSON-lines format, always on stderr so
// stdout carries only results and tables.
#pragma once

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>

namespace rh::host {

struct LogFields;

class LoggingError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// level: trace|debug|info|warn|error|critical|off; format: text|json. Throws LoggingError.
void configure_logging(const std::string& level, const std::string& format);

// One log line as the json format writes it: {"time", "level", "logger", "message"}, then
// "run_id", "run_name", "task", "flow_run_id" (inside a flow) and "attempt" when `run` is given.
std::string json_log_line(std::int64_t time_us, const std::string& level, const std::string& logger,
                          const std::string& message, const LogFields* run = nullptr);

// Writes a line the user must see whatever the log level (e.g. why a task run failed):
// "runner-host: <message>", or a JSON log line when format is "json".
void write_notice(std::ostream& err, const std::string& format, const std::string& message);

}  // namespace rh::host
