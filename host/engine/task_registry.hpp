// The tasks and flows of every loaded task library, by name, with their parsed options.
#pragma once

#include "engine/task_options.hpp"

#include <runner_host/abi.h>

#include <nlohmann/json.hpp>

#include <array>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rh::host {

// A library that cannot be registered (duplicate names, bad options). Names the plugin.
class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TaskDef {
  std::string name;
  std::string description;
  bool is_flow = false;
  std::string library;          // the library's declared name
  std::string library_version;  // and its declared version
  // What identifies the library's code (engine/library_identity.hpp), for the task_source
  // part of cache keys; empty when it cannot be found.
  std::string library_identity;
  std::string plugin;  // where it came from, as the user said
  // The shared library it was loaded from (absolute); empty for a program's own library,
  // whose tasks can only run in this process.
  std::string file;
  nlohmann::json declared_options = nlohmann::json::object();  // as compiled into the library
  nlohmann::json options_json = nlohmann::json::object();      // after config overrides
  TaskOptions options;
  rh_task_fn fn = nullptr;
  void* user_data = nullptr;
  std::array<std::vector<const rh_hook*>, 6> hooks;  // by RH_HOOK_* kind, in registration order
  rh_retry_condition_fn retry_condition = nullptr;
  void* retry_condition_user_data = nullptr;
  rh_cache_key_fn cache_key_fn = nullptr;  // the task's own cache key (ABI 1.3)
  void* cache_key_user_data = nullptr;

  const std::vector<const rh_hook*>& hooks_of(std::uint32_t kind) const { return hooks[kind]; }
};

class TaskRegistry {
 public:
  // Registers every task and flow of `library`, loaded from `plugin`. All or nothing:
  // throws RegistryError (naming the plugin and the task) on a duplicate name or a bad option.
  // `file`: the shared library it was loaded from, if any (TaskDef::file).
  void add_library(const rh_task_library& library, const std::string& plugin, const std::string& file = {});

  // Replaces options of named tasks (config "tasks" section). Throws RegistryError naming
  // `source` and the task for an unknown task name or a bad option.
  void apply_overrides(const nlohmann::json& overrides, const std::string& source);

  const TaskDef* find(std::string_view name) const;
  std::vector<const TaskDef*> tasks() const;  // kind task, in registration order
  std::vector<const TaskDef*> flows() const;  // kind flow, in registration order
  bool empty() const { return defs_.empty(); }

 private:
  std::deque<TaskDef> defs_;  // deque: the index holds pointers and views into it
  std::unordered_map<std::string_view, TaskDef*> by_name_;
};

}  // namespace rh::host
