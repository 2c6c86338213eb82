#include "engine/cache_keys.hpp"

#include "base/json_input.hpp"
#include "base/sha256.hpp"

#include <runner_host/abi_text.hpp>

#include <nlohmann/json.hpp>

namespace rh::host {
namespace {

// A key the task made itself, collected through an rh_text_sink.
struct KeyCapture {
  rh_text_sink sink{sizeof(rh_text_sink), this, &KeyCapture::set};
  std::string key;

  static void set(rh_text_sink* s, rh_str text) {
    static_cast<KeyCapture*>(s->host_data)->key.assign(to_string_view(text));
  }
};

// Keys past this length are replaced by their digest: a key is a primary key of the store.
constexpr std::size_t kMaxOwnKeyBytes = 1024;

CacheKeyResult own_key(const TaskDef& task, const CacheKeyInputs& inputs) {
  KeyCapture key;
  ErrorCapture error;
  const std::int32_t answer = task.cache_key_fn(task.cache_key_user_data, &inputs.call, &key.sink, &error.sink);
  if (answer == 0) return {{}, "cache_key_fn returned no key", false};
  if (answer != 1) return {{}, "cache_key_fn raised " + one_line(error.describe(), 300), true};
  if (key.key.empty()) return {{}, "cache_key_fn returned an empty key", true};
  if (key.key.size() > kMaxOwnKeyBytes) return {task.name + ":fn:" + sha256_hex(key.key), {}, false};
  return {std::move(key.key), {}, false};
}

std::string canonical(const std::string& params) {
  return params.empty() ? std::string("{}") : nlohmann::json::parse(params).dump();
}

}  // namespace

bool task_caches(const TaskDef& task) noexcept { return task.options.cache.parts != 0 || task.cache_key_fn != nullptr; }

CacheKeyResult cache_key_of(const TaskDef& task, const CacheKeyInputs& inputs) {
  if (task.cache_key_fn != nullptr) return own_key(task, inputs);
  const CacheOptions& cache = task.options.cache;
  // Labelled parts separated by a byte JSON text cannot hold unescaped, so no two different
  // sets of parts give the same text.
  std::string parts;
  try {
    if ((cache.parts & kCacheInputs) != 0) {
      nlohmann::json params = inputs.params.empty() ? nlohmann::json::object() : nlohmann::json::parse(inputs.params);
      for (const std::string& name : cache.excluded) params.erase(name);
      parts += "inputs=" + params.dump() + '\x1f';
    }
    if ((cache.parts & kCacheFlowParameters) != 0) parts += "flow_parameters=" + canonical(inputs.flow_params) + '\x1f';
  } catch (const nlohmann::json::exception& e) {
    return {{}, std::string("its parameters could not be read: ") + one_line(e.what(), 200), true};
  }
  if ((cache.parts & kCacheTaskSource) != 0) {
    if (task.library_identity.empty()) {
      return {{}, "task_source: neither a build id nor the file of library '" + task.library + "' could be read", true};
    }
    parts += "task_source=" + task.options.version + '@' + task.library_identity + '\x1f';
  }
  if ((cache.parts & kCacheRunId) != 0) parts += "run_id=" + inputs.flow_run_uuid + '\x1f';
  return {task.name + ':' + sha256_hex(parts), {}, false};
}

}  // namespace rh::host
