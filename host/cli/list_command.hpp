// `runner-host list`: the tasks and flows of task libraries, with their options, and
// `runner-host runners`: the runners found next to the executable.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace rh::host {

// Options shown are those a run would use: the config's "tasks" overrides applied.
int list_command(const std::vector<std::string>& plugins, const nlohmann::json& task_overrides,
                 const std::string& source, std::ostream& out, std::ostream& err);
int runners_command(const std::filesystem::path& exe_dir, std::ostream& out);

}  // namespace rh::host
