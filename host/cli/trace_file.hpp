// --trace FILE: the runs as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open. One track per worker slot (cli/attempt_tracks.hpp: a thread of the
// runner, or a lane of one). Each attempt is an "X" slice (args: run id,
// name, task, attempt, the state it ended in); each dependency edge is a flow arrow from the
// upstream's last attempt to the downstream's first; retry delays and waits for a tag's
// concurrency slot are slices of tracks of their own. Slices are spooled to a scratch file as runs retire, so memory
// holds per run only where it ended (for the arrows), and the file appears whole or not at all.
#pragma once

#include "cli/attempt_tracks.hpp"
#include "engine/run.hpp"
#include "engine/run_scope.hpp"

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rh::host {

class TraceFile {
 public:
  // Checks the path now (OutputFileError) and spools beside it. `tracks`, started before the
  // runs, says where each attempt ran; it must outlive this.
  TraceFile(const std::string& path, AttemptTracks& tracks);
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  // The scope's retire observer: spools the run's slices. Never throws (errors are kept).
  void add(const Run& run) noexcept;
  // After the runs ended: the runs still held, the arrows, the track names; writes the file
  // atomically. `process` names the host's process ("runner-host: flow pipeline on tbb").
  // Throws OutputFileError.
  void write(const RunScope& scope, const std::string& process);

 private:
  using Track = AttemptTracks::Track;
  struct End {  // where a run's last attempt ended: an arrow's tail
    std::int64_t time_us = 0;
    std::uint64_t tid = 0;
  };
  struct Edge {
    std::uint64_t upstream = 0;
    std::int64_t time_us = 0;  // the downstream's first attempt start
    std::uint64_t tid = 0;
  };

  static std::uint64_t tid_of(const Track& track) { return std::uint64_t{track.thread} * 1000000 + track.lane; }
  void spool(const std::string& event);  // under mutex_

  std::string path_;
  std::FILE* scratch_ = nullptr;
  AttemptTracks& tracks_;
  std::mutex mutex_;
  std::set<Track> tracks_used_;
  std::unordered_map<std::uint64_t, End> ends_;
  std::vector<Edge> edges_;
  std::uint64_t events_ = 0;
  bool retry_track_used_ = false;
  bool slot_wait_track_used_ = false;
  std::string error_;
};

}  // namespace rh::host
