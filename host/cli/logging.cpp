#include "cli/logging.hpp"

#include "events/time_format.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

namespace rh::host {
namespace {

// One JSON object per line: time, level, logger, message.
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
    const nlohmann::json line = {
        {"time", format_timestamp_us(us)},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"message", std::string(msg.payload.data(), msg.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }
};

}  // namespace

void configure_logging(const std::string& level, const std::string& format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  // from_str maps anything unknown to "off"; only the word "off" may mean that.
  if (parsed == spdlog::level::off && level != "off") {
    throw LoggingError("log level '" + level + "' is not one of trace, debug, info, warn, error, critical, off");
  }
  if (format != "text" && format != "json") {
    throw LoggingError("log format '" + format + "' is not one of text, json");
  }
  auto logger = spdlog::get("runner-host");
  if (!logger) logger = spdlog::stderr_color_mt("runner-host");
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>("[%H:%M:%S.%e] [%^%l%$] %v"));
  }
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

}  // namespace rh::host
