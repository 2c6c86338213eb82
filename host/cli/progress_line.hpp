// The progress line: one line on a terminal's stderr while runs run, redrawn at most ten times
// a second: elapsed time, task runs done of those seen, the count in each state (in the
// states' colours), runs/s, and the run running longest with its age. Log lines print above
// it (ProgressLine::above, through the logger's sink); stdout never sees it.
#pragma once

#include "base/spin_lock.hpp"
#include "base/state.hpp"
#include "events/event_bus.hpp"

#include <spdlog/sinks/sink.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

namespace rh::host {

// What one drawing of the line shows.
struct ProgressSnapshot {
  double elapsed_seconds = 0;
  std::uint64_t seen = 0;  // task runs created
  std::uint64_t done = 0;  // task runs in a final state
  std::array<std::int64_t, kStateCount> in_state{};
  std::string oldest_running;  // empty when none runs
  double oldest_age_seconds = 0;
};

// The line for `snapshot`, at most `width` columns wide (escape sequences take none).
std::string render_progress(const ProgressSnapshot& snapshot, std::size_t width, bool color);

// Counts what the event bus says happened to the task runs. Handlers run on the publishing
// threads: a few relaxed atomics, and a short lock while a run starts or stops running.
class ProgressCounter {
 public:
  void on_event(const TaskRunEvent& event);
  ProgressSnapshot snapshot(std::int64_t now_us) const;

 private:
  std::atomic<std::uint64_t> seen_{0};
  std::array<std::atomic<std::int64_t>, kStateCount> in_state_{};
  mutable SpinLock running_lock_;
  // Runs executing now, oldest first: (start, run id) -> name; and run id -> start.
  std::map<std::pair<std::int64_t, std::uint64_t>, std::string> running_;
  std::unordered_map<std::uint64_t, std::int64_t> started_;
};

class ProgressLine {
 public:
  // Will draw to `out` (the terminal's stderr).
  ProgressLine(std::FILE* out, bool color);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Counts the runs of `bus` and draws the line from a thread of its own until stop().
  void start(EventBus& bus);
  // Erases the line and stops drawing it; idempotent, and a no-op before start().
  void stop();

  // Runs `write` (which prints whole lines to `out`) with the line erased first; the next
  // drawing puts it back below them.
  template <typename Write>
  void above(Write&& write) {
    std::lock_guard<std::mutex> lock(mutex_);
    erase_locked();
    write();
  }

  // Makes the default logger print above `line`: each of its sinks is wrapped, for the rest
  // of the process (before any other thread logs: a logger's sinks are not guarded).
  static void print_logs_above(const std::shared_ptr<ProgressLine>& line);

 private:
  void draw_loop();
  void erase_locked();

  EventBus* bus_ = nullptr;
  std::FILE* out_;
  const bool color_;
  std::int64_t start_us_ = 0;
  ProgressCounter counter_;
  std::uint64_t subscription_ = 0;
  std::mutex mutex_;  // the terminal line: drawing, erasing, printing above
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

// Whether the progress line is wanted on this process's stderr: a terminal, not "dumb", not
// under CI (CI set to anything but "" or "false"), with the text log format.
bool progress_wanted(bool disabled_by_flag, const std::string& log_format);

}  // namespace rh::host
