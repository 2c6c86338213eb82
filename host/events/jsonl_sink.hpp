// --events FILE: appends every event as one JSON line ("schema": 1; docs/events.md). Each
// line is written with a single write() on an O_APPEND descriptor, so a crash never leaves
// half a line and a reader can follow the file while the host runs.
#pragma once

#include "events/event_bus.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace rh::host {

class JsonlEventSink {
 public:
  // Opens (creating or appending; a regular file only, never through a symlink) and
  // subscribes. Throws std::runtime_error (OutputFileError) naming the file.
  JsonlEventSink(EventBus& bus, const std::string& path);
  ~JsonlEventSink();
  JsonlEventSink(const JsonlEventSink&) = delete;
  JsonlEventSink& operator=(const JsonlEventSink&) = delete;

  std::uint64_t lines_written() const noexcept { return lines_; }
  std::uint64_t write_errors() const noexcept { return errors_; }
  // "N event line(s) could not be written to the events file 'F': <why>", or empty.
  std::string loss_message() const;

 private:
  void write(const TaskRunEvent& event);

  EventBus& bus_;
  std::string path_;
  int fd_ = -1;
  std::uint64_t subscription_ = 0;
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<int> first_error_{0};
};

// The JSON object of one event line.
nlohmann::json event_to_json(const TaskRunEvent& event);

}  // namespace rh::host
