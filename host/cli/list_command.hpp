// `runner-host list`: the tasks and flows of task libraries, with their options, and
// `runner-host runners`: the runners found next to the executable.
#pragma once

#include "cli/run_config.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace rh::host {

// Options shown are those a run would use: the config's "tasks" overrides applied. Each
// library is shown with the file it was loaded from (its real path), and the runner a run
// would use with the file its name resolves to.
int list_command(const RunConfig& config, const std::filesystem::path& exe_dir, std::ostream& out, std::ostream& err);
int runners_command(const std::filesystem::path& exe_dir, std::ostream& out);

}  // namespace rh::host
