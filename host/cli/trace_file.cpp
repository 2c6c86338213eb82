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
constexpr std::uint64_t kSlotWaitTid = 999999998;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

TraceFile::TraceFile(const std::string& path, AttemptTracks& tracks) : path_(path), tracks_(tracks) {
  check_output_path(path, "the trace");
  scratch_ = open_scratch_file(path, "the trace");
}

TraceFile::~TraceFile() {
  if (scratch_ != nullptr) std::fclose(scratch_);
}

void TraceFile::spool(const std::string& event) {
  if (events_++ != 0) std::fputs(",\n", scratch_);
  if (std::fwrite(event.data(), 1, event.size(), scratch_) != event.size() && error_.empty()) {
    error_ = std::strerror(errno);
  }
}

void TraceFile::add(const Run& run) noexcept {
  try {
    const std::vector<Track> tracks = tracks_.tracks_of(run.id());
    std::lock_guard<std::mutex> lock(mutex_);
    const StateHistory& history = run.history();
    const char* category = run.is_flow() ? "flow" : "task";
    if (const std::vector<Run::SlotWait>* waits = run.slot_waits()) {
      std::size_t index = 0;
      for (const Run::SlotWait& wait : *waits) {
        // A wait the run never left (interrupted while queued) lasts until the run ended.
        const std::int64_t to = wait.to_us != 0 ? wait.to_us : std::max(wait.from_us, run.current().time_us);
        slot_wait_track_used_ = true;
        spool(dump({{"ph", "X"},
                    {"cat", "slot_wait"},
                    {"name", "tag slot wait: " + run.name()},
                    {"pid", kPid},
                    {"tid", kSlotWaitTid},
                    {"ts", wait.from_us},
                    {"dur", to - wait.from_us},
                    {"args", {{"run_id", run.id()}, {"wait", ++index}, {"tags", run.task().options.tags}}}}));
      }
    }
    std::size_t attempt = 0;
    bool first = true;
    for (std::size_t i = 0; i + 1 < history.size(); ++i) {
      const StateEntry& entry = history[i];
      const StateEntry& next = history[i + 1];
      // Whole microseconds, written as integers (a double would print as 1.796e+15).
      const std::int64_t ts = entry.time_us;
      const std::int64_t dur = next.time_us - entry.time_us;
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
      tracks_used_.insert(track);
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
                {"ts", edge.time_us}}));
  }
  spool(dump({{"ph", "M"}, {"name", "process_name"}, {"pid", kPid}, {"args", {{"name", process}}}}));
  for (const Track& track : tracks_used_) {
    const std::uint64_t tid = tid_of(track);
    const std::string name = AttemptTracks::name_of(track);
    spool(dump({{"ph", "M"}, {"name", "thread_name"}, {"pid", kPid}, {"tid", tid}, {"args", {{"name", name}}}}));
    spool(dump(
        {{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", kPid}, {"tid", tid}, {"args", {{"sort_index", tid}}}}));
  }
  if (slot_wait_track_used_) {
    spool(dump({{"ph", "M"},
                {"name", "thread_name"},
                {"pid", kPid},
                {"tid", kSlotWaitTid},
                {"args", {{"name", "tag slot waits"}}}}));
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
