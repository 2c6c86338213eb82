// The host executable defines exit() itself, exported to the libraries it loads
// (host/CMakeLists.txt), so a task's call reaches the guard before the C library's exit
// does anything at all. An exit handler would come too late: glibc first destroys the
// calling thread's thread_local objects, and on a fiber runner's worker those include the
// scheduler the task is running on (it deadlocked there). Unarmed, the call goes on to
// the C library's exit unchanged.
#include "cli/exit_guard.hpp"

#include <dlfcn.h>
#include <unistd.h>
#include <atomic>

namespace rh::host {
namespace {

std::atomic<const std::function<void(int)>*> g_call{nullptr};

}  // namespace

ExitGuard::ExitGuard(std::function<void(int status)> on_exit_call) : on_exit_call_(std::move(on_exit_call)) {
  g_call.store(&on_exit_call_, std::memory_order_release);
}

ExitGuard::~ExitGuard() { g_call.store(nullptr, std::memory_order_release); }

}  // namespace rh::host

extern "C" void exit(int status) noexcept {
  // Taken once: a second exit() while the first is being handled (another task) waits for
  // the process to end rather than running the C library's exit under it.
  static std::atomic<bool> handling{false};
  if (const std::function<void(int)>* call = rh::host::g_call.exchange(nullptr, std::memory_order_acq_rel)) {
    handling.store(true, std::memory_order_release);
    (*call)(status);
    _exit(status);  // the call ends the process; this is only its backstop
  }
  if (handling.load(std::memory_order_acquire)) {
    for (;;) pause();
  }
  using ExitFn = void (*)(int);
  static const auto real_exit = reinterpret_cast<ExitFn>(dlsym(RTLD_NEXT, "exit"));
  real_exit(status);
  _exit(status);  // not reached: the C library's exit does not return
}
