#include "plugins/descriptor_checks.hpp"

#include <cstddef>

namespace rh::host {
namespace {

const char* kind_name(std::uint32_t kind) {
  switch (kind) {
    case RH_PLUGIN_KIND_TASK_LIBRARY: return "task library";
    case RH_PLUGIN_KIND_RUNNER: return "runner";
    default: return "plugin of unknown kind";
  }
}

}  // namespace

void check_descriptor(const rh_plugin_descriptor* descriptor, const std::string& path) {
  if (descriptor == nullptr) throw PluginError("plugin '" + path + "': the entry point returned no descriptor");
  if (descriptor->struct_size < offsetof(rh_plugin_descriptor, kind) + sizeof(descriptor->kind)) {
    throw PluginError("plugin '" + path + "': its descriptor is too small to be a runner-host plugin");
  }
  const std::string built_for = "plugin '" + path + "' was built for runner-host ABI " +
                                std::to_string(descriptor->abi_major) + "." + std::to_string(descriptor->abi_minor);
  const std::string host_speaks =
      "this host speaks ABI " + std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR);
  if (descriptor->abi_major != RH_ABI_VERSION_MAJOR) throw PluginError(built_for + ", but " + host_speaks);
  // A newer minor may rely on fields and functions this host neither reads nor offers (a
  // runner function it would never call, a task option it would ignore): refused rather
  // than run half-understood.
  if (descriptor->abi_minor > RH_ABI_VERSION_MINOR) {
    throw PluginError(built_for + ", newer than this host: " + host_speaks + " (minors up to " +
                      std::to_string(RH_ABI_VERSION_MINOR) + ")");
  }
}

void check_task_library_descriptor(const rh_plugin_descriptor& d, const std::string& path) {
  if (d.kind != RH_PLUGIN_KIND_TASK_LIBRARY) {
    throw PluginError("plugin '" + path + "' is a " + kind_name(d.kind) + ", not a task library" +
                      (d.kind == RH_PLUGIN_KIND_RUNNER ? " (select runners with --runner)" : ""));
  }
  if (!RH_HAS_FIELD(&d, rh_plugin_descriptor, load_library) || d.load_library == nullptr) {
    throw PluginError("plugin '" + path + "' declares a task library but its descriptor (" +
                      std::to_string(d.struct_size) + " bytes) has no load_library function");
  }
}

void check_runner_descriptor(const rh_plugin_descriptor& d, const std::string& path) {
  if (d.kind != RH_PLUGIN_KIND_RUNNER) {
    throw PluginError("plugin '" + path + "' is a " + kind_name(d.kind) + ", not a runner");
  }
  if (!RH_HAS_FIELD(&d, rh_plugin_descriptor, runner) || d.runner == nullptr) {
    throw PluginError("plugin '" + path + "' declares a runner but its descriptor (" + std::to_string(d.struct_size) +
                      " bytes) has no runner table");
  }
  const rh_runner_api& api = *d.runner;
  // The functions abi.h marks required; concurrency, event_is_set and every field of a
  // later minor are optional.
  if (!RH_HAS_FIELD(&api, rh_runner_api, yield) || api.create == nullptr || api.start == nullptr ||
      api.submit == nullptr || api.shutdown == nullptr || api.destroy == nullptr || api.event_create == nullptr ||
      api.event_set == nullptr || api.event_wait == nullptr || api.event_destroy == nullptr || api.yield == nullptr) {
    throw PluginError("plugin '" + path + "': its runner table is incomplete for ABI " +
                      std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR));
  }
}

}  // namespace rh::host
