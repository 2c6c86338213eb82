// runner-host: entry point. Blocks termination signals before any thread exists (the
// SignalWatcher receives them), installs the crash handler, then runs the CLI on a thread
// with a large stack: the sequential runner executes nested runs recursively on the thread
// that started it, and the engine allows kMaxNestingDepth levels (docs/runners.md). The
// stack is reserved address space; only what deep nesting touches is ever committed.
#include "cli/cli_app.hpp"
#include "cli/crash_handler.hpp"
#include "cli/signal_watcher.hpp"

#include <pthread.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace {

constexpr std::size_t kHostStackBytes = std::size_t{1} << 30;

struct Invocation {
  int argc;
  char** argv;
  int status;
};

void* run_cli(void* arg) {
  auto& invocation = *static_cast<Invocation*>(arg);
  rh::host::install_crash_handler();  // this thread's alternate stack; the handler is process-wide
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(invocation.argv[0]);
  invocation.status = rh::host::cli_main(invocation.argc, invocation.argv, exe.parent_path(), std::cout, std::cerr);
  std::cout.flush();
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  rh::host::block_termination_signals();
  rh::host::install_crash_handler();
  Invocation invocation{argc, argv, 0};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_t thread;
  if (pthread_attr_setstacksize(&attributes, kHostStackBytes) != 0 ||
      pthread_create(&thread, &attributes, &run_cli, &invocation) != 0) {
    run_cli(&invocation);  // no room for a large stack: the main thread's will do
  } else {
    pthread_join(thread, nullptr);
  }
  pthread_attr_destroy(&attributes);
  return invocation.status;
}
