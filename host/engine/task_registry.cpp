#include "engine/task_registry.hpp"

#include "engine/library_identity.hpp"

#include "base/json_input.hpp"
#include "base/utf8.hpp"

#include <runner_host/abi.h>

namespace rh::host {
namespace {

std::string text(rh_str s) { return s.data == nullptr ? std::string() : std::string(s.data, s.size); }

// What makes a task name unprintable in one line of the table or of `list`: a control
// character (C0, DEL or C1) or bytes that are not UTF-8. Empty when the name is fine.
std::string name_problem(const std::string& name) {
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t length = utf8_sequence_length(std::string_view(name).substr(i));
    if (length == 0) return "is not valid UTF-8";
    const auto lead = static_cast<unsigned char>(name[i]);
    const bool c1 = length == 2 && lead == 0xC2 && static_cast<unsigned char>(name[i + 1]) < 0xA0;
    if (lead < 0x20 || lead == 0x7F || c1) return "contains a control character";
    i += length;
  }
  return {};
}

// The name with everything but printable UTF-8 escaped (\n, \t, \xNN), in double quotes.
std::string escaped(const std::string& name) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t length = utf8_sequence_length(std::string_view(name).substr(i));
    const auto lead = static_cast<unsigned char>(name[i]);
    const bool c1 = length == 2 && lead == 0xC2 && static_cast<unsigned char>(name[i + 1]) < 0xA0;
    if (length == 0 || lead < 0x20 || lead == 0x7F || c1) {
      const std::size_t count = length == 0 ? 1 : length;
      for (std::size_t k = 0; k < count; ++k) {
        const auto b = static_cast<unsigned char>(name[i + k]);
        if (b == '\n') {
          out += "\\n";
        } else if (b == '\t') {
          out += "\\t";
        } else if (b == '\r') {
          out += "\\r";
        } else {
          out += "\\x";
          out += kHex[b >> 4];
          out += kHex[b & 0xf];
        }
      }
      i += count;
      continue;
    }
    if (lead == '"' || lead == '\\') out += '\\';
    out.append(name, i, length);
    i += length;
  }
  return out + "\"";
}

}  // namespace

// Element i of a plugin's array of structs. A plugin built against an older SDK has smaller
// structs, so the stride is the element's own struct_size, never our sizeof (ABI rule 3).
template <class T>
const T& element(const T* first, std::size_t index) {
  const std::size_t stride = first->struct_size;
  return *reinterpret_cast<const T*>(reinterpret_cast<const char*>(first) + index * stride);
}

// Whether an array's stride is a size a C compiler can give the struct: a multiple of its
// alignment. Any other would put the elements after the first at misaligned addresses.
template <class T>
bool aligned_stride(const T* first) {
  return first->struct_size % alignof(T) == 0;
}

void TaskRegistry::add_library(const rh_task_library& library, const std::string& plugin, const std::string& file) {
  if (!RH_HAS_FIELD(&library, rh_task_library, task_count)) {
    throw RegistryError("plugin '" + plugin + "': its task library table (" + std::to_string(library.struct_size) +
                        " bytes) is too small");
  }
  if (library.task_count > 0 && (library.tasks == nullptr || !RH_HAS_FIELD(library.tasks, rh_task_def, user_data))) {
    throw RegistryError("plugin '" + plugin + "': its task definitions are too small to hold a task");
  }
  if (library.task_count > 0 && !aligned_stride(library.tasks)) {
    throw RegistryError("plugin '" + plugin + "': its task definitions claim " +
                        std::to_string(library.tasks->struct_size) + " bytes, not a multiple of their alignment (" +
                        std::to_string(alignof(rh_task_def)) + ")");
  }
  std::deque<TaskDef> incoming;
  for (std::size_t i = 0; i < library.task_count; ++i) {
    const rh_task_def& raw = element(library.tasks, i);
    if (raw.struct_size != library.tasks->struct_size) {
      throw RegistryError("plugin '" + plugin + "': its task definitions have different sizes");
    }
    TaskDef def;
    def.name = text(raw.name);
    def.description = text(raw.description);
    def.is_flow = raw.kind == RH_TASK_KIND_FLOW;
    def.library = text(library.name);
    def.library_version = text(library.version);
    def.plugin = plugin;
    def.file = file;
    if (def.name.empty()) throw RegistryError("plugin '" + plugin + "': a task has an empty name");
    if (const std::string problem = name_problem(def.name); !problem.empty()) {
      throw RegistryError("plugin '" + plugin + "': task name " + escaped(def.name) + " " + problem);
    }
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
      def.declared_options = options_text.empty() ? nlohmann::json::object() : parse_json_input(options_text);
      def.options_json = def.declared_options;
      def.options = parse_task_options(def.options_json, def.name);
    } catch (const JsonInputError& e) {
      std::string why;
      switch (e.kind()) {
        case JsonInputError::Kind::Syntax: why = "options are not valid JSON: " + e.reason(); break;
        case JsonInputError::Kind::TooLarge: why = "options JSON " + e.reason(); break;
        default: why = std::string("options JSON: ") + e.what(); break;
      }
      throw RegistryError("plugin '" + plugin + "': task '" + def.name + "': " + why);
    } catch (const OptionError& e) {
      throw RegistryError("plugin '" + plugin + "': " + e.what());
    }
    def.fn = raw.run;
    def.user_data = raw.user_data;
    // Trailing fields are read only when the plugin's struct has them.
    if (RH_HAS_FIELD(&raw, rh_task_def, hook_count) && raw.hook_count > 0) {
      if (raw.hooks == nullptr || !RH_HAS_FIELD(raw.hooks, rh_hook, user_data) || !aligned_stride(raw.hooks)) {
        throw RegistryError("plugin '" + plugin + "': task '" + def.name + "' has an invalid hook table");
      }
      for (std::size_t h = 0; h < raw.hook_count; ++h) {
        const rh_hook& hook = element(raw.hooks, h);
        if (hook.kind > RH_HOOK_ON_ROLLBACK || hook.call == nullptr) {
          throw RegistryError("plugin '" + plugin + "': task '" + def.name + "' has an invalid hook");
        }
        def.hooks[hook.kind].push_back(&hook);
      }
    }
    if (RH_HAS_FIELD(&raw, rh_task_def, retry_condition_user_data)) {
      def.retry_condition = raw.retry_condition;
      def.retry_condition_user_data = raw.retry_condition_user_data;
    }
    if (RH_HAS_FIELD(&raw, rh_task_def, cache_key_user_data)) {
      def.cache_key_fn = raw.cache_key_fn;
      def.cache_key_user_data = raw.cache_key_user_data;
    }
    incoming.push_back(std::move(def));
  }
  // Every task of a library lives in the same object: one lookup for all of them.
  if (!incoming.empty()) {
    const std::string identity = library_identity_of(reinterpret_cast<const void*>(incoming.front().fn));
    for (TaskDef& def : incoming) def.library_identity = identity;
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
    // The key comes from the config: quoted in the message unless it is a plain word, so
    // that the message stays one line whatever it holds.
    const std::string where = source + ": " + member_path("tasks", it.key());
    auto found = by_name_.find(it.key());
    if (found == by_name_.end()) {
      throw RegistryError(where + ": no loaded library defines a task '" + one_line(it.key(), 200) + "'");
    }
    if (!it->is_object()) throw RegistryError(where + " must be an object of options");
    nlohmann::json merged = found->second->declared_options;
    for (auto field = it->begin(); field != it->end(); ++field) merged[field.key()] = *field;
    try {
      TaskOptions parsed = parse_task_options(merged, it.key());
      staged.push_back({found->second, {std::move(merged), std::move(parsed)}});
    } catch (const OptionError& e) {
      throw RegistryError(where + ": " + e.what());
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
