#include "runtime/signal_stack.hpp"

#include <signal.h>
#include <sys/mman.h>

#include <cstddef>

namespace rh::host {
namespace {

// Room for the crash handler's one line and the unwinding of nothing: it only writes.
constexpr std::size_t kSignalStackBytes = 64 * 1024;

// Unmapped when the thread ends (after sigaltstack is switched off again).
class SignalStack {
 public:
  SignalStack() noexcept {
    void* memory = mmap(nullptr, kSignalStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return;
    stack_t stack{};
    stack.ss_sp = memory;
    stack.ss_size = kSignalStackBytes;
    if (sigaltstack(&stack, nullptr) != 0) {
      munmap(memory, kSignalStackBytes);
      return;
    }
    memory_ = memory;
  }
  ~SignalStack() {
    if (memory_ == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(memory_, kSignalStackBytes);
  }
  SignalStack(const SignalStack&) = delete;
  SignalStack& operator=(const SignalStack&) = delete;

 private:
  void* memory_ = nullptr;
};

thread_local bool tl_has_stack = false;

}  // namespace

void ensure_signal_stack() noexcept {
  if (tl_has_stack) return;
  tl_has_stack = true;
  // A thread that already has one (its creator set it up) keeps it.
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return;
  thread_local SignalStack stack;
}

}  // namespace rh::host
