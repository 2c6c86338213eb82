// Captures what the host logs through spdlog's default logger while a test runs, so tests
// can check the exact log lines (retry notices, hook and retry-condition errors, callbacks
// that threw). Create it before the code that logs starts (threads included).
#pragma once

#include "base/log_fields.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rh::testing {

struct LogLine {
  spdlog::level::level_enum level;
  std::string text;
};

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
    auto logger = std::make_shared<spdlog::logger>("rh-test-capture", sink_);
    logger->set_level(spdlog::level::trace);
    // spdlog::log() goes through a raw pointer to the default logger: keep every capture
    // logger alive for the whole process so a late log line never reaches a freed one.
    keep_alive().push_back(logger);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<LogLine> lines() const { return sink_->lines(); }

  // Lines containing `needle`, in the order they were logged.
  std::vector<LogLine> matching(const std::string& needle) const {
    std::vector<LogLine> out;
    for (const LogLine& line : lines()) {
      if (line.text.find(needle) != std::string::npos) out.push_back(line);
    }
    return out;
  }

  // Every captured line, one per row, for failure messages.
  std::string dump() const {
    std::string out;
    for (const LogLine& line : lines()) out += line.text + "\n";
    return out;
  }
  std::string text() const { return dump(); }
  // Whether some line contains `part`.
  bool contains(const std::string& part) const { return !matching(part).empty(); }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::vector<LogLine> lines() {
      std::lock_guard<std::mutex> lock(this->mutex_);
      return lines_;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      // As the host's text format writes it: "[run-name] " first for a line about a run.
      std::string text;
      if (const rh::host::LogFields* run = rh::host::current_log_fields()) {
        text = "[" + std::string(run->run_name) + "] ";
      }
      text.append(msg.payload.data(), msg.payload.size());
      lines_.push_back(LogLine{msg.level, std::move(text)});
    }
    void flush_() override {}

   private:
    std::vector<LogLine> lines_;
  };

  static std::vector<std::shared_ptr<spdlog::logger>>& keep_alive() {
    static std::vector<std::shared_ptr<spdlog::logger>> loggers;
    return loggers;
  }

  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
};

}  // namespace rh::testing
