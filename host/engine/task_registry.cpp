#include "engine/task_registry.hpp"

#include <runner_host/abi.h>

namespace rh::host {
namespace {

std::string text(rh_str s) { return s.data == nullptr ? std::string() : std::string(s.data, s.size); }

}  // namespace

void TaskRegistry::add_library(const rh_task_library& library, const std::string& plugin) {
  std::deque<TaskDef> incoming;
  for (std::size_t i = 0; i < library.task_count; ++i) {
    const rh_task_def& raw = library.tasks[i];
    TaskDef def;
    def.name = text(raw.name);
    def.description = text(raw.description);
    def.is_flow = raw.kind == RH_TASK_KIND_FLOW;
    def.library = text(library.name);
    def.plugin = plugin;
    if (def.name.empty()) throw RegistryError("plugin '" + plugin + "': a task has an empty name");
    if (raw.run == nullptr) throw RegistryError("plugin '" + plugin + "': task '" + def.name + "' has no function");
    if (const TaskDef* existing = find(def.name)) {
      throw RegistryError("plugin '" + plugin + "': task '" + def.name + "' is already defined by plugin '" +
                          existing->plugin + "'");
    }
    for (const TaskDef& other : incoming) {
      if (other.name == def.name) {
        throw RegistryError("plugin '" + plugin + "': task '" + def.name + "' is defined twice");
      }
    }
    const std::string options_text = text(raw.options_json);
    try {
      def.declared_options = options_text.empty() ? nlohmann::json::object() : nlohmann::json::parse(options_text);
      def.options_json = def.declared_options;
      def.options = parse_task_options(def.options_json, def.name);
    } catch (const nlohmann::json::exception& e) {
      throw RegistryError("plugin '" + plugin + "': task '" + def.name + "': options are not valid JSON: " + e.what());
    } catch (const OptionError& e) {
      throw RegistryError("plugin '" + plugin + "': " + e.what());
    }
    def.fn = raw.run;
    def.user_data = raw.user_data;
    for (std::size_t h = 0; h < raw.hook_count; ++h) {
      const rh_hook& hook = raw.hooks[h];
      if (hook.kind > RH_HOOK_ON_CRASHED || hook.call == nullptr) {
        throw RegistryError("plugin '" + plugin + "': task '" + def.name + "' has an invalid hook");
      }
      def.hooks[hook.kind].push_back(&hook);
    }
    def.retry_condition = raw.retry_condition;
    def.retry_condition_user_data = raw.retry_condition_user_data;
    incoming.push_back(std::move(def));
  }
  for (TaskDef& def : incoming) {
    TaskDef& stored = defs_.emplace_back(std::move(def));
    by_name_.emplace(stored.name, &stored);
  }
}

void TaskRegistry::apply_overrides(const nlohmann::json& overrides, const std::string& source) {
  if (overrides.is_null()) return;
  if (!overrides.is_object()) throw RegistryError(source + ": 'tasks' must be an object of task name -> options");
  // Validate everything first so a bad entry changes nothing.
  std::vector<std::pair<TaskDef*, std::pair<nlohmann::json, TaskOptions>>> staged;
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    auto found = by_name_.find(it.key());
    if (found == by_name_.end()) {
      throw RegistryError(source + ": tasks." + it.key() + ": no loaded library defines a task '" + it.key() + "'");
    }
    if (!it->is_object()) throw RegistryError(source + ": tasks." + it.key() + " must be an object of options");
    nlohmann::json merged = found->second->declared_options;
    for (auto field = it->begin(); field != it->end(); ++field) merged[field.key()] = *field;
    try {
      TaskOptions parsed = parse_task_options(merged, it.key());
      staged.push_back({found->second, {std::move(merged), std::move(parsed)}});
    } catch (const OptionError& e) {
      throw RegistryError(source + ": tasks." + it.key() + ": " + e.what());
    }
  }
  for (auto& [def, options] : staged) {
    def->options_json = std::move(options.first);
    def->options = std::move(options.second);
  }
}

const TaskDef* TaskRegistry::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<const TaskDef*> TaskRegistry::tasks() const {
  std::vector<const TaskDef*> out;
  for (const TaskDef& def : defs_) {
    if (!def.is_flow) out.push_back(&def);
  }
  return out;
}

std::vector<const TaskDef*> TaskRegistry::flows() const {
  std::vector<const TaskDef*> out;
  for (const TaskDef& def : defs_) {
    if (def.is_flow) out.push_back(&def);
  }
  return out;
}

}  // namespace rh::host
