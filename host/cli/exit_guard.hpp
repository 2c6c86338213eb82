// exit() called while runs are in progress, by a task or a library: the C library would
// run the process's exit handlers (the runner's and the libraries' static destructors)
// under threads still executing tasks; the fiber runner deadlocked there, tbb crashed.
// While an ExitGuard is armed, such a call reaches `on_exit_call(status)` first, on the
// calling thread (exit_guard.cpp: the executable's own exit()); it ends the process itself
// (what completed is reported, then _exit) and does not return. exit() is process-wide,
// so the guard is too: one armed at a time.
#pragma once

#include <functional>

namespace rh::host {

class ExitGuard {
 public:
  explicit ExitGuard(std::function<void(int status)> on_exit_call);
  ~ExitGuard();  // disarms: a later exit() is an ordinary one
  ExitGuard(const ExitGuard&) = delete;
  ExitGuard& operator=(const ExitGuard&) = delete;

 private:
  std::function<void(int status)> on_exit_call_;
};

}  // namespace rh::host
