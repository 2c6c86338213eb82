#include "events/jsonl_sink.hpp"

#include "base/output_files.hpp"
#include "base/time_format.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace rh::host {
namespace {

nlohmann::json state_json(StateId id, std::string_view message) {
  const StateInfo& info = state_info(id);
  return {{"type", std::string(info.type_name)}, {"name", std::string(info.name)}, {"message", std::string(message)}};
}

}  // namespace

nlohmann::json event_to_json(const TaskRunEvent& event) {
  nlohmann::json state = state_json(event.state, event.message);
  if (event.scheduled_us != 0) state["scheduled_time"] = format_timestamp_us(event.scheduled_us);
  return {
      {"schema", 1},
      {"id", event.id},
      {"time", format_timestamp_us(event.time_us)},
      {"event", event.name()},
      {"run",
       {{"id", event.run_id},
        {"name", std::string(event.run_name)},
        {"task", std::string(event.task_name)},
        {"run_count", event.run_count},
        {"kind", event.is_flow_run ? "flow" : "task"}}},
      {"state", std::move(state)},
      {"previous_state", event.previous ? state_json(*event.previous, event.previous_message) : nlohmann::json()},
      {"flow_run_id", event.flow_run_id == 0 ? nlohmann::json() : nlohmann::json(event.flow_run_id)},
  };
}

JsonlEventSink::JsonlEventSink(EventBus& bus, const std::string& path) : bus_(bus), path_(path) {
  fd_ = open_for_append(path, "the events file");
  subscription_ = bus_.subscribe([this](const TaskRunEvent& event) { write(event); });
}

JsonlEventSink::~JsonlEventSink() {
  bus_.unsubscribe(subscription_);
  if (fd_ >= 0) ::close(fd_);
}

void JsonlEventSink::write(const TaskRunEvent& event) {
  std::string line = event_to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errors_.fetch_add(1, std::memory_order_relaxed) == 0) first_error_.store(errno, std::memory_order_relaxed);
      return;
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  ++lines_;
}

}  // namespace rh::host

namespace rh::host {

std::string JsonlEventSink::loss_message() const {
  const std::uint64_t lost = errors_.load(std::memory_order_relaxed);
  if (lost == 0) return {};
  return std::to_string(lost) + " event line(s) could not be written to the events file '" + path_ +
         "': " + std::strerror(first_error_.load(std::memory_order_relaxed));
}

}  // namespace rh::host
