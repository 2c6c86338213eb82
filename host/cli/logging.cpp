#include "cli/logging.hpp"

#include "base/log_fields.hpp"
#include "base/time_format.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>

namespace rh::host {
namespace {

// One JSON object per line: time, level, logger, message, and the run's fields when the line
// is about a run (base/log_fields.hpp).
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string text = json_log_line(us, std::string(level.data(), level.size()),
                                           std::string(msg.logger_name.data(), msg.logger_name.size()),
                                           std::string(msg.payload.data(), msg.payload.size()), current_log_fields());
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }
};

// The text format's %* flag: "[run-name] " when the line is about a run, else nothing.
class RunNameFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    const LogFields* fields = current_log_fields();
    if (fields == nullptr) return;
    dest.push_back('[');
    dest.append(fields->run_name.data(), fields->run_name.data() + fields->run_name.size());
    dest.append(std::string_view("] "));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<RunNameFlag>(); }
};

}  // namespace

std::string json_log_line(std::int64_t time_us, const std::string& level, const std::string& logger,
                          const std::string& message, const LogFields* run) {
  nlohmann::ordered_json line = {
      {"time", format_timestamp_us(time_us)}, {"level", level}, {"logger", logger}, {"message", message}};
  if (run != nullptr) {
    line["run_id"] = run->run_id;
    line["run_name"] = run->run_name;
    line["task"] = run->task;
    if (run->flow_run_id != 0) line["flow_run_id"] = run->flow_run_id;
    line["attempt"] = run->attempt;
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_notice(std::ostream& err, const std::string& format, const std::string& message) {
  if (format == "json") {
    const auto now =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    err << json_log_line(now, "error", "runner-host", message) << '\n';
  } else {
    err << "runner-host: " << message << '\n';
  }
}

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
  if (!logger) {
    // Levels in colour on a terminal, unless NO_COLOR asks for none (https://no-color.org).
    const char* no_color = std::getenv("NO_COLOR");
    const bool colors = no_color == nullptr || *no_color == '\0';
    logger = spdlog::stderr_color_mt("runner-host", colors ? spdlog::color_mode::automatic : spdlog::color_mode::never);
  }
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    auto text = std::make_unique<spdlog::pattern_formatter>();
    text->add_flag<RunNameFlag>('*').set_pattern("[%H:%M:%S.%e] [%^%l%$] %*%v");
    logger->set_formatter(std::move(text));
  }
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

}  // namespace rh::host
