// runner-host: entry point. Blocks termination signals before any thread exists (the
// SignalWatcher receives them), then hands over to the CLI.
#include "cli/cli_app.hpp"
#include "cli/signal_watcher.hpp"

#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
  rh::host::block_termination_signals();
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv[0]);
  const int status = rh::host::cli_main(argc, argv, exe.parent_path(), std::cout, std::cerr);
  std::cout.flush();
  return status;
}
