#include "cli/attempt_tracks.hpp"

#include <algorithm>

namespace rh::host {
namespace {

// Which thread of the host this is, for the tracker that numbers it (one per process run,
// but no global: the cache says whose number it holds).
thread_local const void* tl_numbered_by = nullptr;
thread_local std::uint32_t tl_thread_index = 0;

}  // namespace

AttemptTracks::~AttemptTracks() {
  if (bus_ != nullptr) bus_->unsubscribe(subscription_);
}

void AttemptTracks::start(EventBus& bus) {
  bus_ = &bus;
  subscription_ = bus.subscribe([this](const TaskRunEvent& event) { on_event(event); });
}

std::uint32_t AttemptTracks::thread_index() {
  if (tl_numbered_by != this) {
    tl_numbered_by = this;
    tl_thread_index = ++threads_;
    busy_lanes_.emplace_back();
  }
  return tl_thread_index;
}

void AttemptTracks::on_event(const TaskRunEvent& event) {
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

std::vector<AttemptTracks::Track> AttemptTracks::tracks_of(std::uint64_t run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = attempts_.find(run_id);
  return it == attempts_.end() ? std::vector<Track>() : it->second;
}

void AttemptTracks::forget(std::uint64_t run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  attempts_.erase(run_id);
}

std::string AttemptTracks::name_of(const Track& track) {
  if (track.thread == 0) return "unknown thread";
  std::string name = "thread " + std::to_string(track.thread);
  if (track.lane != 0) name += ", lane " + std::to_string(track.lane + 1);
  return name;
}

}  // namespace rh::host
