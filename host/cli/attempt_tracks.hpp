// Where each attempt ran, learnt from the event bus, for the trace (--trace) and the HTML
// report (--html): a thread of the runner (numbered 1, 2, ... in the order threads first ran
// an attempt), and on runners that interleave attempts on one thread (fibers, suspended tbb
// tasks, nested waits) one lane of it per attempt executing at once. One object per run of
// the host, shared by both outputs: the thread numbering is cached per thread for one owner.
#pragma once

#include "events/event_bus.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace rh::host {

class AttemptTracks {
 public:
  struct Track {
    std::uint32_t thread = 0;  // 0: unknown (the run's attempt started before start())
    std::uint32_t lane = 0;    // 0, 1, ...

    bool operator<(const Track& other) const {
      return thread != other.thread ? thread < other.thread : lane < other.lane;
    }
    bool operator==(const Track& other) const { return thread == other.thread && lane == other.lane; }
  };

  AttemptTracks() = default;
  ~AttemptTracks();
  AttemptTracks(const AttemptTracks&) = delete;
  AttemptTracks& operator=(const AttemptTracks&) = delete;

  // Before the runs start.
  void start(EventBus& bus);
  // The tracks of the run's attempts so far, in order.
  std::vector<Track> tracks_of(std::uint64_t run_id);
  // Once every output has seen the retired run.
  void forget(std::uint64_t run_id);
  // "thread 2", "thread 2, lane 3", "unknown thread".
  static std::string name_of(const Track& track);

 private:
  void on_event(const TaskRunEvent& event);
  std::uint32_t thread_index();  // under mutex_

  EventBus* bus_ = nullptr;
  std::uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::uint32_t threads_ = 0;
  std::unordered_map<std::uint64_t, std::vector<Track>> attempts_;  // of runs not yet forgotten
  std::vector<std::vector<bool>> busy_lanes_;                       // per thread index - 1
};

}  // namespace rh::host
