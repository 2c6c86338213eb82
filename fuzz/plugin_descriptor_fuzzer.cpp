// Fuzzes what the host checks in a plugin's tables before using them, without dlopen: the
// descriptor and a runner's function table (host/plugins/descriptor_checks.*), and a task
// library's task and hook tables (TaskRegistry::add_library). The bytes describe the tables a plugin could return: each
// struct's struct_size, which function pointers are set, names, kinds, options JSON.
//
// Each struct lives in a heap block of exactly the size it claims, as a plugin built
// against an older (smaller) ABI would give it, so that AddressSanitizer reports any read of
// a field the plugin's struct does not have. Every input must end in success or a
// PluginError / RegistryError; a refused library leaves the registry empty.
#include "engine/task_registry.hpp"
#include "fuzz_checks.hpp"
#include "plugins/descriptor_checks.hpp"

#include <runner_host/abi.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

using rh::fuzz::require;

// A block of `size` bytes standing for one struct (or an array of them) of a plugin.
struct Block {
  explicit Block(std::size_t size) : bytes(new unsigned char[size == 0 ? 1 : size]()), size(size) {}
  // Writes a field when the block holds it entirely, as a smaller struct would not.
  template <class T>
  void put(std::size_t offset, const T& value) {
    if (offset + sizeof(T) <= size) std::memcpy(bytes.get() + offset, &value, sizeof(T));
  }
  std::unique_ptr<unsigned char[]> bytes;
  std::size_t size;
};

// Everything one input builds; it outlives the calls that read it.
struct Plugin {
  std::deque<Block> blocks;
  std::deque<std::string> strings;
  const rh_task_library* library = nullptr;

  Block& block(std::size_t size) { return blocks.emplace_back(size); }
  rh_str text(std::string value) {
    const std::string& kept = strings.emplace_back(std::move(value));
    return rh_str{kept.data(), kept.size()};
  }
};

Plugin* current = nullptr;  // for load_library, which takes no user data

std::int32_t run_task(void*, const rh_task_call*) { return RH_TASK_COMPLETED; }
std::int32_t run_hook(void*, const rh_run_view*, rh_error_sink*) { return RH_OK; }
std::int32_t retry_condition(void*, const rh_run_view*, rh_error_sink*) { return 1; }
const rh_task_library* load_library(rh_error_sink*) { return current->library; }
const void* get_extension(rh_str) { return nullptr; }  // never called: only set

// Runner functions: only their being set matters to the checks.
rh_runner* runner_create(rh_str, rh_error_sink*) { return nullptr; }
std::int32_t runner_start(rh_runner*, rh_error_sink*) { return RH_OK; }
std::int32_t runner_submit(rh_runner*, rh_work_fn, void*, rh_error_sink*) { return RH_OK; }
void runner_void(rh_runner*) {}
rh_event* runner_event_create(rh_runner*) { return nullptr; }
void runner_event(rh_runner*, rh_event*) {}
std::int32_t runner_event_wait(rh_runner*, rh_event*, rh_time_ns, std::uint32_t) { return RH_OK; }

// A struct size: mostly this ABI's or an older one's, sometimes anything up to a little more.
std::size_t claimed_size(FuzzedDataProvider& in, std::size_t full, std::size_t smaller) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return full;
    case 1: return smaller;
    default: return in.ConsumeIntegralInRange<std::size_t>(sizeof(std::uint32_t), full + 16);
  }
}

std::string name(FuzzedDataProvider& in) {
  // Few names, so that duplicates happen; sometimes anything.
  if (in.ConsumeBool()) return in.ConsumeRandomLengthString(12);
  return in.PickValueInArray<std::string>({"", "a", "b", "flow", "a "});
}

std::string options(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return in.ConsumeRandomLengthString(200);
  return in.PickValueInArray<std::string>(
      {"", "{}", R"({"retries": 2, "retry_delay": [1, 2]})", R"({"timeout_seconds": 1e10})",
       R"({"retry_delay": 1e400})", R"({"retries": 40, "retry_delay": {"exponential_backoff": 1}})",
       R"({"tags": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})"});
}

const rh_hook* hooks(FuzzedDataProvider& in, Plugin& plugin, std::size_t count) {
  const std::size_t stride = claimed_size(in, sizeof(rh_hook), offsetof(rh_hook, user_data));
  Block& table = plugin.block(count * stride);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = i * stride;
    table.put(at + offsetof(rh_hook, struct_size), static_cast<std::uint32_t>(stride));
    table.put(at + offsetof(rh_hook, kind), in.ConsumeIntegralInRange<std::uint32_t>(0, 5));
    table.put(at + offsetof(rh_hook, name), plugin.text(name(in)));
    if (in.ConsumeIntegralInRange<int>(0, 7) != 0) table.put(at + offsetof(rh_hook, call), &run_hook);
  }
  return reinterpret_cast<const rh_hook*>(table.bytes.get());
}

const rh_task_library* task_library(FuzzedDataProvider& in, Plugin& plugin) {
  const std::size_t size = claimed_size(in, sizeof(rh_task_library), offsetof(rh_task_library, task_count));
  Block& library = plugin.block(size);
  library.put(offsetof(rh_task_library, struct_size), static_cast<std::uint32_t>(size));
  library.put(offsetof(rh_task_library, name), plugin.text(name(in)));
  library.put(offsetof(rh_task_library, version), plugin.text("1.0"));

  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 6);
  const std::size_t stride = claimed_size(in, sizeof(rh_task_def), offsetof(rh_task_def, hooks));
  const bool no_table = count > 0 && in.ConsumeIntegralInRange<int>(0, 15) == 0;
  Block& tasks = plugin.block(count * stride);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = i * stride;
    // Now and then an element claims another size than the first.
    const std::size_t own = in.ConsumeIntegralInRange<int>(0, 15) == 0 ? stride - 1 : stride;
    tasks.put(at + offsetof(rh_task_def, struct_size), static_cast<std::uint32_t>(i == 0 ? stride : own));
    tasks.put(at + offsetof(rh_task_def, kind), in.ConsumeIntegralInRange<std::uint32_t>(0, 2));
    tasks.put(at + offsetof(rh_task_def, name), plugin.text(name(in)));
    tasks.put(at + offsetof(rh_task_def, description), plugin.text(in.ConsumeRandomLengthString(16)));
    tasks.put(at + offsetof(rh_task_def, options_json), plugin.text(options(in)));
    if (in.ConsumeIntegralInRange<int>(0, 15) != 0) tasks.put(at + offsetof(rh_task_def, run), &run_task);
    const std::size_t hook_count = in.ConsumeIntegralInRange<std::size_t>(0, 3);
    if (hook_count > 0 && in.ConsumeIntegralInRange<int>(0, 7) != 0) {
      tasks.put(at + offsetof(rh_task_def, hooks), hooks(in, plugin, hook_count));
    }
    tasks.put(at + offsetof(rh_task_def, hook_count), hook_count);
    if (in.ConsumeBool()) tasks.put(at + offsetof(rh_task_def, retry_condition), &retry_condition);
  }
  library.put(offsetof(rh_task_library, tasks), no_table ? static_cast<const rh_task_def*>(nullptr)
                                                         : reinterpret_cast<const rh_task_def*>(tasks.bytes.get()));
  library.put(offsetof(rh_task_library, task_count), count);
  return reinterpret_cast<const rh_task_library*>(library.bytes.get());
}

const rh_runner_api* runner_table(FuzzedDataProvider& in, Plugin& plugin) {
  const std::size_t size = claimed_size(in, sizeof(rh_runner_api), offsetof(rh_runner_api, inline_depth));
  Block& api = plugin.block(size);
  api.put(offsetof(rh_runner_api, struct_size), static_cast<std::uint32_t>(size));
  // One bit per required function: set or left NULL.
  const auto set = in.ConsumeIntegral<std::uint16_t>() | (in.ConsumeBool() ? 0xFFFF : 0);
  auto maybe = [&](int bit, std::size_t offset, auto fn) {
    if (set & (1 << bit)) api.put(offset, fn);
  };
  maybe(0, offsetof(rh_runner_api, create), &runner_create);
  maybe(1, offsetof(rh_runner_api, start), &runner_start);
  maybe(2, offsetof(rh_runner_api, submit), &runner_submit);
  maybe(3, offsetof(rh_runner_api, shutdown), &runner_void);
  maybe(4, offsetof(rh_runner_api, destroy), &runner_void);
  maybe(5, offsetof(rh_runner_api, event_create), &runner_event_create);
  maybe(6, offsetof(rh_runner_api, event_set), &runner_event);
  maybe(7, offsetof(rh_runner_api, event_wait), &runner_event_wait);
  maybe(8, offsetof(rh_runner_api, event_destroy), &runner_event);
  maybe(9, offsetof(rh_runner_api, yield), &runner_void);
  return reinterpret_cast<const rh_runner_api*>(api.bytes.get());
}

const rh_plugin_descriptor* descriptor(FuzzedDataProvider& in, Plugin& plugin) {
  if (in.ConsumeIntegralInRange<int>(0, 31) == 0) return nullptr;
  const std::size_t size =
      claimed_size(in, sizeof(rh_plugin_descriptor), offsetof(rh_plugin_descriptor, get_extension));
  Block& d = plugin.block(size);
  d.put(offsetof(rh_plugin_descriptor, struct_size), static_cast<std::uint32_t>(size));
  d.put(offsetof(rh_plugin_descriptor, abi_major),
        in.ConsumeIntegralInRange<int>(0, 7) == 0 ? in.ConsumeIntegral<std::uint32_t>() : RH_ABI_VERSION_MAJOR);
  d.put(offsetof(rh_plugin_descriptor, abi_minor), in.ConsumeIntegralInRange<std::uint32_t>(0, 3));
  d.put(offsetof(rh_plugin_descriptor, kind), in.ConsumeIntegralInRange<std::uint32_t>(0, 3));
  d.put(offsetof(rh_plugin_descriptor, name), plugin.text(name(in)));
  if (in.ConsumeIntegralInRange<int>(0, 7) != 0) d.put(offsetof(rh_plugin_descriptor, load_library), &load_library);
  if (in.ConsumeIntegralInRange<int>(0, 7) != 0) {
    d.put(offsetof(rh_plugin_descriptor, runner), runner_table(in, plugin));
  }
  if (in.ConsumeBool()) d.put(offsetof(rh_plugin_descriptor, get_extension), &get_extension);
  return reinterpret_cast<const rh_plugin_descriptor*>(d.bytes.get());
}

void register_library(const rh_plugin_descriptor& d) {
  rh_error_sink sink{sizeof(rh_error_sink), nullptr, nullptr};
  const rh_task_library* library = d.load_library(&sink);
  rh::host::TaskRegistry registry;
  try {
    registry.add_library(*library, "fuzz.so");
  } catch (const rh::host::RegistryError&) {
    require(registry.empty(), "a refused library registers nothing");
    return;
  }
  const std::size_t registered = registry.tasks().size() + registry.flows().size();
  require(registered == library->task_count, "every task of an accepted library is registered");
  for (const rh::host::TaskDef* def : registry.tasks()) {
    require(!def->name.empty() && def->fn != nullptr, "a registered task has a name and a function");
    rh::fuzz::require_bounded(def->options);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Plugin plugin;
  current = &plugin;
  const rh_plugin_descriptor* d = descriptor(in, plugin);
  plugin.library = task_library(in, plugin);
  try {
    rh::host::check_descriptor(d, "fuzz.so");
  } catch (const rh::host::PluginError&) {
    return 0;
  }
  try {
    rh::host::check_runner_descriptor(*d, "fuzz.so");
  } catch (const rh::host::PluginError&) {
  }
  try {
    rh::host::check_task_library_descriptor(*d, "fuzz.so");
  } catch (const rh::host::PluginError&) {
    return 0;
  }
  register_library(*d);
  return 0;
}
