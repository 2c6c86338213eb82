// What the host checks in the tables a plugin hands it, built here from plain structs as a
// plugin in any language could: the descriptor and a runner's table
// (plugins/descriptor_checks.hpp, as the loader calls them after its entry point returns),
// and a task library's task and hook tables (TaskRegistry::add_library), including the
// inputs fuzzing found (fuzz/plugin_descriptor_fuzzer.cpp).
#include "engine/task_registry.hpp"
#include "plugins/descriptor_checks.hpp"

#include <runner_host/abi.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

using rh::host::check_descriptor;
using rh::host::check_runner_descriptor;
using rh::host::check_task_library_descriptor;
using rh::host::PluginError;
using rh::host::RegistryError;
using rh::host::TaskRegistry;
using ::testing::HasSubstr;

rh_str text(const char* s) { return rh_str{s, std::strlen(s)}; }

std::int32_t run_task(void*, const rh_task_call*) { return RH_TASK_COMPLETED; }
std::int32_t run_hook(void*, const rh_run_view*, rh_error_sink*) { return RH_OK; }
const rh_task_library* no_library(rh_error_sink*) { return nullptr; }

template <class Check>
std::string plugin_error(Check check) {
  try {
    check();
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

rh_plugin_descriptor task_library_descriptor() {
  rh_plugin_descriptor d{};
  d.struct_size = sizeof d;
  d.abi_major = RH_ABI_VERSION_MAJOR;
  d.abi_minor = RH_ABI_VERSION_MINOR;
  d.kind = RH_PLUGIN_KIND_TASK_LIBRARY;
  d.load_library = no_library;
  return d;
}

TEST(DescriptorChecks, AValidTaskLibraryPasses) {
  const rh_plugin_descriptor d = task_library_descriptor();
  EXPECT_NO_THROW(check_descriptor(&d, "p.so"));
  EXPECT_NO_THROW(check_task_library_descriptor(d, "p.so"));
  EXPECT_EQ(plugin_error([&] { check_runner_descriptor(d, "p.so"); }), "plugin 'p.so' is a task library, not a runner");
}

TEST(DescriptorChecks, NoDescriptorTooSmallOrAnotherMajor) {
  EXPECT_EQ(plugin_error([] { check_descriptor(nullptr, "p.so"); }),
            "plugin 'p.so': the entry point returned no descriptor");
  rh_plugin_descriptor d = task_library_descriptor();
  d.struct_size = offsetof(rh_plugin_descriptor, kind);
  EXPECT_EQ(plugin_error([&] { check_descriptor(&d, "p.so"); }),
            "plugin 'p.so': its descriptor is too small to be a runner-host plugin");
  d = task_library_descriptor();
  d.abi_major = 2;
  EXPECT_THAT(plugin_error([&] { check_descriptor(&d, "p.so"); }),
              HasSubstr("plugin 'p.so' was built for runner-host ABI 2." + std::to_string(RH_ABI_VERSION_MINOR) +
                        ", but this host speaks ABI 1."));
}

TEST(DescriptorChecks, KindAndLoadLibrary) {
  rh_plugin_descriptor d = task_library_descriptor();
  d.kind = 7;
  EXPECT_EQ(plugin_error([&] { check_task_library_descriptor(d, "p.so"); }),
            "plugin 'p.so' is a plugin of unknown kind, not a task library");
  d = task_library_descriptor();
  d.struct_size = offsetof(rh_plugin_descriptor, load_library);  // ends before load_library
  EXPECT_THAT(plugin_error([&] { check_task_library_descriptor(d, "p.so"); }),
              HasSubstr("declares a task library but its descriptor"));
}

TEST(DescriptorChecks, RunnerTableMustHoldEveryRequiredFunction) {
  rh_runner_api api{};
  api.struct_size = sizeof api;
  rh_plugin_descriptor d = task_library_descriptor();
  d.kind = RH_PLUGIN_KIND_RUNNER;
  d.runner = &api;
  EXPECT_EQ(plugin_error([&] { check_runner_descriptor(d, "r.so"); }),
            "plugin 'r.so': its runner table is incomplete for ABI 1.3");
  EXPECT_EQ(plugin_error([&] { check_task_library_descriptor(d, "r.so"); }),
            "plugin 'r.so' is a runner, not a task library (select runners with --runner)");
  d.runner = nullptr;
  EXPECT_THAT(plugin_error([&] { check_runner_descriptor(d, "r.so"); }), HasSubstr("has no runner table"));
}

// A task table of `count` elements `stride` bytes apart, each a valid task "t<i>".
struct TaskTable {
  TaskTable(std::size_t count, std::size_t stride, const char* options = "")
      : storage(count * stride / sizeof(std::max_align_t) + 2) {
    auto* bytes = reinterpret_cast<unsigned char*>(storage.data());
    for (std::size_t i = 0; i < count; ++i) {
      rh_task_def def{};
      def.struct_size = static_cast<std::uint32_t>(stride);
      def.kind = RH_TASK_KIND_TASK;
      names.push_back("t" + std::to_string(i));
      def.name = rh_str{names.back().c_str(), names.back().size()};
      def.options_json = text(options);
      def.run = run_task;
      std::memcpy(bytes + i * stride, &def, std::min(stride, sizeof def));
    }
    library.struct_size = sizeof library;
    library.name = text("lib");
    library.tasks = reinterpret_cast<const rh_task_def*>(bytes);
    library.task_count = count;
  }
  std::vector<std::max_align_t> storage;  // aligned for the first element
  std::deque<std::string> names;          // a deque: the tasks point into its strings
  rh_task_library library{};
};

std::string registry_error(const rh_task_library& library) {
  TaskRegistry registry;
  try {
    registry.add_library(library, "p.so");
  } catch (const RegistryError& e) {
    EXPECT_TRUE(registry.empty()) << "a refused library registers nothing";
    return e.what();
  }
  ADD_FAILURE() << "library accepted";
  return {};
}

TEST(TaskTables, AValidTableRegistersEveryTask) {
  TaskTable table(3, sizeof(rh_task_def));
  TaskRegistry registry;
  registry.add_library(table.library, "p.so");
  ASSERT_EQ(registry.tasks().size(), 3u);
  EXPECT_EQ(registry.tasks()[2]->name, "t2");
}

TEST(TaskTables, AMisalignedStrideIsRefused) {
  // Found by fuzzing: a struct_size no compiler gives rh_task_def (85, not a multiple of 8)
  // put every element after the first at a misaligned address.
  TaskTable table(2, 85);
  EXPECT_EQ(registry_error(table.library),
            "plugin 'p.so': its task definitions claim 85 bytes, not a multiple of their alignment (8)");
}

TEST(TaskTables, AMisalignedHookStrideIsRefused) {
  TaskTable table(1, sizeof(rh_task_def));
  std::vector<std::max_align_t> storage(8);
  auto* bytes = reinterpret_cast<unsigned char*>(storage.data());
  const std::size_t stride = sizeof(rh_hook) + 4;
  for (std::size_t i = 0; i < 2; ++i) {
    rh_hook hook{};
    hook.struct_size = static_cast<std::uint32_t>(stride);
    hook.kind = RH_HOOK_ON_RUNNING;
    hook.call = run_hook;
    std::memcpy(bytes + i * stride, &hook, sizeof hook);
  }
  auto* def = reinterpret_cast<rh_task_def*>(table.storage.data());
  def->hooks = reinterpret_cast<const rh_hook*>(bytes);
  def->hook_count = 2;
  EXPECT_EQ(registry_error(table.library), "plugin 'p.so': task 't0' has an invalid hook table");
}

TEST(TaskTables, OptionsJsonOutOfRangeNamesTheOption) {
  TaskTable table(1, sizeof(rh_task_def), R"({"retry_delay": 1e400})");
  EXPECT_EQ(registry_error(table.library),
            "plugin 'p.so': task 't0': options JSON: retry_delay: number 1e400 is out of range (no double holds it)");
}

TEST(TaskTables, OptionsJsonTooDeepIsRefused) {
  const std::string deep = R"({"tags": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  TaskTable table(1, sizeof(rh_task_def), deep.c_str());
  EXPECT_THAT(registry_error(table.library),
              HasSubstr("plugin 'p.so': task 't0': options JSON: tags[0][0][0][0][0][0][0]...: nested deeper than 64 "
                        "levels (the limit)"));
}

TEST(TaskTables, OptionsJsonSyntaxKeepsItsMessage) {
  TaskTable table(1, sizeof(rh_task_def), "{");
  EXPECT_THAT(registry_error(table.library), HasSubstr("plugin 'p.so': task 't0': options are not valid JSON: "));
}

TEST(TaskTables, DeclaredDurationsBeyondTheMaximumAreRefused) {
  TaskTable table(1, sizeof(rh_task_def), R"({"timeout_seconds": 1e10})");
  EXPECT_EQ(registry_error(table.library),
            "plugin 'p.so': task 't0': option 'timeout_seconds' must be at most 2592000 seconds (30 days), got "
            "10000000000.0");
}

}  // namespace
