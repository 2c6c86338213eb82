#include "cli/list_command.hpp"

#include "cli/exit_codes.hpp"
#include "session/session.hpp"

namespace rh::host {
namespace {

void print_defs(std::ostream& out, const char* heading, const std::vector<const TaskDef*>& defs,
                const std::string& plugin) {
  bool any = false;
  for (const TaskDef* def : defs) {
    if (def->plugin != plugin) continue;
    if (!any) out << "  " << heading << ":\n";
    any = true;
    out << "    " << def->name;
    if (!def->description.empty()) out << " - " << def->description;
    out << '\n';
    if (!def->options_json.empty()) out << "      options: " << def->options_json.dump() << '\n';
    static const char* kHookNames[] = {"on_running", "on_completion", "on_failure",
                                       "on_crashed", "on_commit",     "on_rollback"};
    for (std::uint32_t kind = 0; kind < 6; ++kind) {
      if (!def->hooks_of(kind).empty()) {
        out << "      " << kHookNames[kind] << ": " << def->hooks_of(kind).size() << " hook(s)\n";
      }
    }
    if (def->retry_condition != nullptr) out << "      retry_condition: yes\n";
  }
}

}  // namespace

int list_command(const RunConfig& config, const std::filesystem::path& exe_dir, std::ostream& out, std::ostream& err) {
  if (config.plugins.empty()) {
    err << "runner-host: list needs a task library: --plugin FILE, or --config FILE with \"plugins\"\n";
    return kExitUsage;
  }
  SessionOptions options;
  options.runner_dir = exe_dir;
  options.allow_untrusted_plugins = config.allow_untrusted_plugins;
  Session session(options);
  std::string runner_file;
  try {
    for (const std::string& path : config.plugins) {
      const auto pin = config.plugin_sha256.find(path);
      session.load_library(path, pin == config.plugin_sha256.end() ? std::string() : pin->second);
    }
    session.apply_task_overrides(config.task_overrides, config.source);
    // The runner is not started, but its file gets the checks a run would make.
    runner_file = inspect_plugin_file(locate_runner(config.runner.name, exe_dir), config.allow_untrusted_plugins);
  } catch (const std::exception& e) {
    err << "runner-host: " << e.what() << '\n';
    return kExitUsage;
  }
  const TaskRegistry& registry = session.registry();
  for (const LoadedPlugin& plugin : session.libraries()) {
    const rh_task_library& lib = *plugin.library;
    out << std::string(lib.name.data, lib.name.size) << ' ' << std::string(lib.version.data, lib.version.size) << " ("
        << plugin.path << ")\n";
    out << "  file: " << plugin.real_path << '\n';
    print_defs(out, "flows", registry.flows(), plugin.path);
    print_defs(out, "tasks", registry.tasks(), plugin.path);
  }
  out << "runner " << config.runner.name << ": " << runner_file << '\n';
  return kExitOk;
}

int runners_command(const std::filesystem::path& exe_dir, std::ostream& out) {
  for (const std::string& name : available_runners(exe_dir)) out << name << '\n';
  return kExitOk;
}

}  // namespace rh::host
