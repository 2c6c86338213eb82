#include "cli/trace_file.hpp"

#include "base/output_files.hpp"
#include "engine/task_registry.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rh::host {
namespace {

using nlohmann::json;

constexpr int kPid = 1;
constexpr std::uint64_t kRetryDelayTid = 999999999;  // after every thread's lanes

// Which thread of the host this is, for the trace that numbers it (one trace per process, but
// no global: the cache says whose number it holds).
thread_local const void* tl_numbered_by = nullptr;
thread_local std::uint32_t tl_thread_index = 0;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

TraceFile::TraceFile(const std::string& path) : path_(path) {
  check_output_path(path, "the trace");
  scratch_ = open_scratch_file(path, "the trace");
}

TraceFile::~TraceFile() {
  if (bus_ != nullptr) bus_->unsubscribe(subscription_);
  if (scratch_ != nullptr) std::fclose(scratch_);
}

void TraceFile::start(EventBus& bus) {
  bus_ = &bus;
  subscription_ = bus.subscribe([this](const TaskRunEvent& event) { on_event(event); });
}

std::uint32_t TraceFile::thread_index() {
  if (tl_numbered_by != this) {
    tl_numbered_by = this;
    tl_thread_index = ++threads_;
    busy_lanes_.emplace_back();
  }
  return tl_thread_index;
}

void TraceFile::on_event(const TaskRunEvent& event) {
  const bool runs_now = is_running(event.state);
  const bool ran = event.previous && is_running(*event.previous);
  if (runs_now == ran) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (runs_now) {
    // The attempt starts on this thread (the runner's, about to call the task): the lowest
    // lane of it that no other attempt holds.
    Track track;
    track.thread = thread_index();
    std::vector<bool>& lanes = busy_lanes_[track.thread - 1];
    const auto free = std::find(lanes.begin(), lanes.end(), false);
    track.lane = static_cast<std::uint32_t>(free - lanes.begin());
    if (free == lanes.end()) {
      lanes.push_back(true);
    } else {
      *free = true;
    }
    attempts_[event.run_id].push_back(track);
  } else if (const auto it = attempts_.find(event.run_id); it != attempts_.end() && !it->second.empty()) {
    const Track& track = it->second.back();
    busy_lanes_[track.thread - 1][track.lane] = false;
  }
}

void TraceFile::spool(const std::string& event) {
  if (events_++ != 0) std::fputs(",\n", scratch_);
  if (std::fwrite(event.data(), 1, event.size(), scratch_) != event.size() && error_.empty()) {
    error_ = std::strerror(errno);
  }
}

void TraceFile::add(const Run& run) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Track> tracks;
    if (const auto it = attempts_.find(run.id()); it != attempts_.end()) {
      tracks = std::move(it->second);
      attempts_.erase(it);
    }
    const StateHistory& history = run.history();
    const char* category = run.is_flow() ? "flow" : "task";
    std::size_t attempt = 0;
    bool first = true;
    for (std::size_t i = 0; i + 1 < history.size(); ++i) {
      const StateEntry& entry = history[i];
      const StateEntry& next = history[i + 1];
      const double ts = static_cast<double>(entry.time_us);
      const double dur = static_cast<double>(next.time_us - entry.time_us);
      if (entry.id == StateId::AwaitingRetry) {
        retry_track_used_ = true;
        spool(dump({{"ph", "X"},
                    {"cat", "retry"},
                    {"name", "retry delay: " + run.name()},
                    {"pid", kPid},
                    {"tid", kRetryDelayTid},
                    {"ts", ts},
                    {"dur", dur},
                    {"args", {{"run_id", run.id()}, {"after_attempt", attempt}}}}));
        continue;
      }
      if (!is_running(entry.id)) continue;
      const Track track = attempt < tracks.size() ? tracks[attempt] : Track{};
      ++attempt;
      tracks_used_.emplace(track.thread, track.lane);
      const std::uint64_t tid = tid_of(track);
      spool(dump({{"ph", "X"},
                  {"cat", category},
                  {"name", run.name()},
                  {"pid", kPid},
                  {"tid", tid},
                  {"ts", ts},
                  {"dur", dur},
                  {"args",
                   {{"run_id", run.id()},
                    {"task", run.task().name},
                    {"attempt", attempt},
                    {"state", std::string(state_name(next.id))}}}}));
      if (first) {
        for (const Upstream& upstream : run.upstreams()) edges_.push_back(Edge{upstream.run->id(), entry.time_us, tid});
        first = false;
      }
      ends_[run.id()] = End{next.time_us, tid};
    }
  } catch (const std::exception& e) {
    if (error_.empty()) error_ = e.what();
  }
}

void TraceFile::write(const RunScope& scope, const std::string& process) {
  {
    const auto hold = scope.hold_retirement();  // every run once: added already, or held
    for (const RunRef& run : scope.runs()) add(*run);
    if (const RunRef& flow = scope.flow_run()) add(*flow);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // An arrow per dependency edge whose upstream ran: from its end to the downstream's start.
  std::uint64_t flow_id = 0;
  for (const Edge& edge : edges_) {
    const auto end = ends_.find(edge.upstream);
    if (end == ends_.end()) continue;
    ++flow_id;
    // The tail sits just inside the upstream's slice, where the importer binds it.
    spool(dump({{"ph", "s"},
                {"cat", "dependency"},
                {"name", "dependency"},
                {"id", flow_id},
                {"pid", kPid},
                {"tid", end->second.tid},
                {"ts", static_cast<double>(end->second.time_us) - 0.5}}));
    spool(dump({{"ph", "f"},
                {"bp", "e"},
                {"cat", "dependency"},
                {"name", "dependency"},
                {"id", flow_id},
                {"pid", kPid},
                {"tid", edge.tid},
                {"ts", static_cast<double>(edge.time_us)}}));
  }
  spool(dump({{"ph", "M"}, {"name", "process_name"}, {"pid", kPid}, {"args", {{"name", process}}}}));
  for (const auto& [thread, lane] : tracks_used_) {
    const std::uint64_t tid = tid_of(Track{thread, lane});
    const std::string name = thread == 0 ? std::string("unknown thread")
                             : lane == 0 ? "thread " + std::to_string(thread)
                                         : "thread " + std::to_string(thread) + ", lane " + std::to_string(lane + 1);
    spool(dump({{"ph", "M"}, {"name", "thread_name"}, {"pid", kPid}, {"tid", tid}, {"args", {{"name", name}}}}));
    spool(dump(
        {{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", kPid}, {"tid", tid}, {"args", {{"sort_index", tid}}}}));
  }
  if (retry_track_used_) {
    spool(dump({{"ph", "M"},
                {"name", "thread_name"},
                {"pid", kPid},
                {"tid", kRetryDelayTid},
                {"args", {{"name", "retry delays"}}}}));
  }
  if (!error_.empty())
    throw OutputFileError("the trace " + path_ + " lost events spooled to a temporary file: " + error_);
  write_file_atomically(path_, "the trace", [this](std::ostream& out) {
    out << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
    if (!copy_scratch_file(scratch_, out)) {
      throw OutputFileError("the trace " + path_ + " lost events spooled to a temporary file: " + std::strerror(errno));
    }
    out << "\n]}\n";
  });
}

}  // namespace rh::host
