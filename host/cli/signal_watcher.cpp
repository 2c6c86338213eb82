#include "cli/signal_watcher.hpp"

#include "cli/exit_codes.hpp"

#include <pthread.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <ctime>

namespace rh::host {
namespace {

using Clock = std::chrono::steady_clock;

// SIGUSR2 only wakes the watcher thread when it is asked to stop.
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

const char* termination_signal_name(int signal) noexcept {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
  }
}

void block_termination_signals() {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(InterruptHandlers handlers)
    : handlers_(std::move(handlers)), thread_([this] { loop(); }) {}

SignalWatcher::~SignalWatcher() {
  stopping_.store(true, std::memory_order_release);
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

int SignalWatcher::next_signal(const std::chrono::nanoseconds* timeout) {
  const sigset_t set = watched_signals();
  for (;;) {
    int signal = 0;
    if (timeout == nullptr) {
      if (sigwait(&set, &signal) == 0) return signal;
      continue;
    }
    const auto ns = timeout->count() < 0 ? 0 : timeout->count();
    const timespec wait{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    signal = sigtimedwait(&set, nullptr, &wait);
    if (signal > 0) return signal;
    if (errno == EAGAIN) return 0;
    // EINTR: a signal outside the set; wait for what is left.
  }
}

void SignalWatcher::loop() {
  Clock::time_point first{};
  bool grace_pending = false;
  for (;;) {
    std::chrono::nanoseconds left{};
    if (grace_pending) left = first + handlers_.grace - Clock::now();
    const int signal = next_signal(grace_pending ? &left : nullptr);
    if (stopping_.load(std::memory_order_acquire)) return;
    if (signal == SIGUSR2) continue;
    if (signal == 0) {  // the grace period is over and the run has not ended
      grace_pending = false;
      if (handlers_.on_grace_over) handlers_.on_grace_over();
      continue;
    }
    if (!fired_.load(std::memory_order_relaxed)) {
      first = Clock::now();
      signal_.store(signal, std::memory_order_release);
      fired_.store(true, std::memory_order_release);
      grace_pending = handlers_.grace.count() >= 0;
      if (handlers_.on_interrupt) handlers_.on_interrupt(signal);
      continue;
    }
    if (Clock::now() - first < kSignalCoalesceWindow) continue;  // a copy of the first one
    if (handlers_.on_second_interrupt) handlers_.on_second_interrupt(signal);
    static constexpr char message[] = "runner-host: second interrupt, exiting now\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(kExitInterrupted);
  }
}

}  // namespace rh::host
