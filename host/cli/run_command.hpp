// `runner-host [run]`: load the task libraries and the runner, run the flow (or one task),
// print the outcome, write the report, and turn the outcome into an exit status.
#pragma once

#include "cli/run_config.hpp"

#include <filesystem>
#include <ostream>

namespace rh::host {

// Returns the exit status (cli/exit_codes.hpp). exe_dir is where runners are looked up.
int run_command(const RunConfig& config, const std::filesystem::path& exe_dir, std::ostream& out, std::ostream& err);

}  // namespace rh::host
