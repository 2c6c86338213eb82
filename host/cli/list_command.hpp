// `runner-host list`: the tasks and flows of task libraries, with their options, and
// `runner-host runners`: the runners found next to the executable.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace rh::host {

int list_command(const std::vector<std::string>& plugins, std::ostream& out, std::ostream& err);
int runners_command(const std::filesystem::path& exe_dir, std::ostream& out);

}  // namespace rh::host
