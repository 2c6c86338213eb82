// Interrupts without async-signal-safety hazards: SIGINT, SIGTERM and SIGHUP are blocked in
// every thread and a dedicated thread receives them with sigtimedwait(). They all mean the
// same: stop. The first one calls on_interrupt (the engine stops starting runs and asks
// running ones to stop). Copies of a signal arriving within kSignalCoalesceWindow of the
// first are the same interrupt: `timeout`, a terminal and process managers send a signal
// to the process and then to its group. If the run has not ended `grace` after the first
// interrupt, on_grace_over is called once (the host abandons what did not stop). A second
// interrupt after the window calls on_second_interrupt, which ends the process; if it
// returns, the watcher exits with status 130.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace rh::host {

inline constexpr std::chrono::milliseconds kSignalCoalesceWindow{250};

// Call first thing in main(), before any thread exists, so every thread inherits the mask.
void block_termination_signals();

struct InterruptHandlers {
  std::function<void(int signal)> on_interrupt;
  std::function<void()> on_grace_over;
  std::function<void(int signal)> on_second_interrupt;
  std::chrono::nanoseconds grace{std::chrono::seconds(2)};
};

class SignalWatcher {
 public:
  explicit SignalWatcher(InterruptHandlers handlers);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  bool fired() const noexcept { return fired_.load(std::memory_order_acquire); }
  // The first interrupt's signal number, 0 before one came.
  int signal() const noexcept { return signal_.load(std::memory_order_acquire); }

 private:
  void loop();
  // The next watched signal, or 0 when `timeout` (if any) passed first.
  int next_signal(const std::chrono::nanoseconds* timeout);

  InterruptHandlers handlers_;
  std::atomic<bool> fired_{false};
  std::atomic<int> signal_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// "SIGINT", "SIGTERM", "SIGHUP", or "signal N".
const char* termination_signal_name(int signal) noexcept;

}  // namespace rh::host
