// What the loader checks in the descriptor a plugin's entry point returned, before it uses
// anything in it: pure functions of the structs, apart from loading, so that tests and the
// fuzz target (fuzz/plugin_descriptor_fuzzer.cpp) can hand them any bytes. Each throws
// PluginError naming the plugin's path.
#pragma once

#include "plugins/plugin_loader.hpp"

#include <runner_host/abi.h>

#include <string>

namespace rh::host {

// Any plugin: a descriptor at all, large enough to say its kind, of this host's ABI major and
// of a minor no newer than this host's.
void check_descriptor(const rh_plugin_descriptor* descriptor, const std::string& path);

// After check_descriptor: a task library with a load_library function.
void check_task_library_descriptor(const rh_plugin_descriptor& descriptor, const std::string& path);

// After check_descriptor: a runner with a table holding every function abi.h requires.
void check_runner_descriptor(const rh_plugin_descriptor& descriptor, const std::string& path);

}  // namespace rh::host
