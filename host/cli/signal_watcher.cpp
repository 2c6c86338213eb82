#include "cli/signal_watcher.hpp"

#include "cli/exit_codes.hpp"

#include <pthread.h>
#include <unistd.h>
#include <csignal>

namespace rh::host {
namespace {

// SIGUSR2 only wakes the watcher thread when it is asked to stop.
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

void block_termination_signals() {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(std::function<void()> on_first_signal)
    : on_first_signal_(std::move(on_first_signal)), thread_([this] { loop(); }) {}

SignalWatcher::~SignalWatcher() {
  stopping_.store(true, std::memory_order_release);
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

void SignalWatcher::loop() {
  const sigset_t set = watched_signals();
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (stopping_.load(std::memory_order_acquire)) return;
    if (signal == SIGUSR2) continue;
    if (fired_.exchange(true, std::memory_order_acq_rel)) {
      static constexpr char message[] = "runner-host: second interrupt, exiting now\n";
      (void)!write(STDERR_FILENO, message, sizeof message - 1);
      _exit(kExitInterrupted);
    }
    on_first_signal_();
  }
}

}  // namespace rh::host
