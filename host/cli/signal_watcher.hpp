// Ctrl-C handling without async-signal-safety hazards: SIGINT and SIGTERM are blocked in
// every thread and a dedicated thread receives them with sigwait(). The first one calls
// back (the engine stops starting runs and asks running ones to stop); a second one ends
// the process at once with status 130.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace rh::host {

// Call first thing in main(), before any thread exists, so every thread inherits the mask.
void block_termination_signals();

class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void()> on_first_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  bool fired() const noexcept { return fired_.load(std::memory_order_acquire); }

 private:
  void loop();

  std::function<void()> on_first_signal_;
  std::atomic<bool> fired_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rh::host
