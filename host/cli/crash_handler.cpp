#include "cli/crash_handler.hpp"

#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "runtime/signal_stack.hpp"

#include <signal.h>
#include <unistd.h>
#include <cstring>

namespace rh::host {
namespace {

constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

const char* crash_signal_name(int signal) noexcept {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV (segmentation fault)";
    case SIGBUS: return "SIGBUS (bus error)";
    case SIGILL: return "SIGILL (illegal instruction)";
    case SIGFPE: return "SIGFPE (arithmetic exception)";
    case SIGABRT: return "SIGABRT (aborted)";
    default: return "a fatal signal";
  }
}

// A line built in a fixed buffer: async-signal-safe, truncated rather than overrun.
class Line {
 public:
  void add(const char* text) noexcept { add(text, std::strlen(text)); }
  void add(const char* text, std::size_t size) noexcept {
    for (std::size_t i = 0; i < size && used_ < sizeof buffer_; ++i) buffer_[used_++] = text[i];
  }
  void add_number(unsigned long long value) noexcept {
    char digits[24];
    std::size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (n > 0) add(&digits[--n], 1);
  }
  void write_to(int fd) const noexcept {
    std::size_t done = 0;
    while (done < used_) {
      const ssize_t n = ::write(fd, buffer_ + done, used_ - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  char buffer_[512];
  std::size_t used_ = 0;
};

void on_crash(int signal, siginfo_t*, void*) {
  Line line;
  line.add("runner-host: ");
  const ExecutionContext context = current_context();
  const Run* run = context.attempt != nullptr ? context.attempt->run : nullptr;
  if (run != nullptr) {
    const std::string& name = run->name();
    line.add(run->is_flow() ? "flow run '" : "task run '");
    line.add(name.data(), name.size() > 200 ? 200 : name.size());
    line.add("' (id ");
    line.add_number(run->id());
    line.add(", task '");
    const std::string& task = run->task().name;
    line.add(task.data(), task.size() > 200 ? 200 : task.size());
    line.add("') crashed the host with ");
  } else {
    line.add("the host crashed with ");
  }
  line.add(crash_signal_name(signal));
  line.add("; runs that completed are in the events file; --runner process isolates tasks\n");
  line.write_to(STDERR_FILENO);
  // SA_RESETHAND restored the default action: the signal, raised again (or the faulting
  // instruction, run again on return), ends the process with its own status.
  ::raise(signal);
}

}  // namespace

void install_crash_handler() noexcept {
  ensure_signal_stack();
  struct sigaction action {};
  action.sa_sigaction = &on_crash;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signal : kCrashSignals) sigaction(signal, &action, nullptr);
}

}  // namespace rh::host
