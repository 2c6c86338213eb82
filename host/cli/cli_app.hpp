// The runner-host command line (CLI11): parses flags, merges them over the config file,
// and dispatches to the run, list and runners commands. In-process, for tests.
#pragma once

#include <filesystem>
#include <ostream>

namespace rh::host {

// Returns the process exit status. exe_dir locates runner plugins by name.
int cli_main(int argc, const char* const* argv, const std::filesystem::path& exe_dir, std::ostream& out,
             std::ostream& err);

}  // namespace rh::host
