#include "events/jsonl_sink.hpp"

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
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open the events file '" + path + "': " + std::strerror(errno));
  subscription_ = bus_.subscribe([this](const TaskRunEvent& event) { write(event); });
}

JsonlEventSink::~JsonlEventSink() {
  bus_.unsubscribe(subscription_);
  if (fd_ >= 0) ::close(fd_);
  if (errors_ != 0) spdlog::error("{} event line(s) could not be written to '{}'", errors_.load(), path_);
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
      ++errors_;
      return;
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  ++lines_;
}

}  // namespace rh::host
