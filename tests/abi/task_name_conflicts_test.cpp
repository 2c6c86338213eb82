// Task names are global across every loaded library: a duplicate, inside one library or
// between two, refuses the library that brings it, names the plugin(s), and registers none
// of that library's tasks (all or nothing).
#include "engine_harness.hpp"

#include "engine/task_registry.hpp"
#include "plugins/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using rh::host::PluginLoader;
using rh::host::RegistryError;
using rh::host::TaskRegistry;
using rh::testing::test_plugin_path;

std::string registry_error(TaskRegistry& registry, const rh::host::LoadedPlugin& plugin) {
  try {
    registry.add_library(*plugin.library, plugin.path);
  } catch (const RegistryError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a RegistryError for " << plugin.path;
  return {};
}

TEST(TaskNameConflicts, SameNameTwiceInOneLibrary) {
  const std::string path = test_plugin_path("abi_duplicate_task");
  PluginLoader loader;
  const auto plugin = loader.load_task_library(path);  // loading is fine; registering is not
  ASSERT_NE(plugin.library, nullptr);
  TaskRegistry registry;
  EXPECT_EQ(registry_error(registry, plugin), "plugin '" + path + "': task 'twice' is defined twice");
  EXPECT_TRUE(registry.empty());
  EXPECT_EQ(registry.find("unique_before"), nullptr);
}

TEST(TaskNameConflicts, SameNameInTwoLibrariesNamesBothPlugins) {
  const std::string path_a = test_plugin_path("abi_shared_name_a");
  const std::string path_b = test_plugin_path("abi_shared_name_b");
  PluginLoader loader;
  TaskRegistry registry;
  const auto a = loader.load_task_library(path_a);
  const auto b = loader.load_task_library(path_b);
  registry.add_library(*a.library, a.path);
  ASSERT_NE(registry.find("shared_task"), nullptr);

  EXPECT_EQ(registry_error(registry, b),
            "plugin '" + path_b + "': task 'shared_task' is already defined by plugin '" + path_a + "'");
  // b's own task, declared before the conflict, was not registered either.
  EXPECT_EQ(registry.find("only_in_b"), nullptr);
  const auto* shared = registry.find("shared_task");
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->plugin, path_a);
  EXPECT_EQ(shared->library, "shared-name-a");
  EXPECT_EQ(registry.tasks().size(), 2u);  // only_in_a, shared_task
}

}  // namespace
