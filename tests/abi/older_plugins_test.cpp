// Plugins built against an older or smaller ABI struct (DESIGN.md section 3, rules 3 and 8):
// the host checks struct_size before reading a trailing field, refuses what is too small with
// a clear message, and keeps loading and running a 1.0 library written in plain C.
#include "engine_harness.hpp"

#include "engine/task_registry.hpp"
#include "plugins/plugin_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::host::PluginError;
using rh::host::PluginLoader;
using rh::host::RegistryError;
using rh::host::TaskRegistry;
using rh::testing::EngineHarness;
using rh::testing::state_names;
using rh::testing::test_plugin_path;
using ::testing::HasSubstr;
using ::testing::Not;

std::string load_error(const std::string& path) {
  try {
    PluginLoader().load_task_library(path);
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a PluginError for " << path;
  return {};
}

TEST(OlderPlugins, DescriptorWithoutKindIsTooSmall) {
  const std::string path = test_plugin_path("abi_descriptor_without_kind");
  EXPECT_EQ(load_error(path), "plugin '" + path + "': its descriptor is too small to be a runner-host plugin");
}

// A descriptor that ends right after `kind` (struct_size 16) says it is a task library but
// has no room for load_library: the message must say that, not contradict itself.
TEST(OlderPlugins, DescriptorEndingAtKindIsRefusedClearly) {
  const std::string path = test_plugin_path("abi_descriptor_to_kind");
  const std::string message = load_error(path);
  EXPECT_THAT(message, HasSubstr("'" + path + "'"));
  EXPECT_THAT(message, Not(HasSubstr("is a task library, not a task library")));
  EXPECT_THAT(message, HasSubstr("load_library"));
}

TEST(OlderPlugins, DescriptorEndingAtKindIsRefused) {
  // Refused without reading past struct_size, naming the file.
  const std::string path = test_plugin_path("abi_descriptor_to_kind");
  EXPECT_THAT(load_error(path), HasSubstr("plugin '" + path + "'"));
}

class CTaskLibrary : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = PluginLoader().load_task_library(path_);
    ASSERT_NE(plugin_.library, nullptr);
    harness_.registry().add_library(*plugin_.library, plugin_.path);
  }

  const std::string path_ = test_plugin_path("abi_c_tasks");
  rh::host::LoadedPlugin plugin_;
  EngineHarness harness_{"sequential"};
};

TEST_F(CTaskLibrary, NegotiatesAsAbi10AndRegistersEveryTask) {
  EXPECT_EQ(plugin_.descriptor->abi_major, 1u);
  EXPECT_EQ(plugin_.descriptor->abi_minor, 0u);
  const auto* echo = harness_.registry().find("c_echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->library, "c-tasks");
  EXPECT_EQ(echo->plugin, path_);
  EXPECT_EQ(echo->description, "returns its parameters");
  const auto* lucky = harness_.registry().find("c_third_time_lucky");
  ASSERT_NE(lucky, nullptr);
  EXPECT_EQ(lucky->options.retries, 2);
  EXPECT_EQ(harness_.registry().tasks().size(), 3u);
}

TEST_F(CTaskLibrary, TaskRunsAndReturnsItsResult) {
  const json params = {{"x", 1}, {"text", "héllo"}};
  auto scope = harness_.run_task("c_echo", params);
  ASSERT_EQ(scope->runs().size(), 1u);
  const auto& run = *scope->runs()[0];
  EXPECT_EQ(state_names(run), (std::vector<std::string>{"Pending", "Running", "Completed"}));
  EXPECT_EQ(json::parse(run.result()), params);
}

TEST_F(CTaskLibrary, ErrorFromCFailsTheRun) {
  auto scope = harness_.run_task("c_fail");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (std::vector<std::string>{"Pending", "Running", "Failed"}));
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->type, "CError");
  EXPECT_EQ(run.error()->message, "failed in C");
}

TEST_F(CTaskLibrary, OptionsFromCDriveRetries) {
  auto scope = harness_.run_task("c_third_time_lucky");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(run.run_count(), 3u);
  EXPECT_EQ(state_names(run).back(), "Completed");
  EXPECT_EQ(json::parse(run.result()), (json{{"attempt", 3}}));
}

// The same 1.0 library in plain C, loaded from its file, runs in the process runner's workers.
TEST(CTaskLibraryInAWorker, RunsOnTheProcessRunner) {
  EngineHarness harness("process", json{{"max_workers", 1}});
  harness.session().load_library(test_plugin_path("abi_c_tasks"));
  harness.engine();
  const json params = {{"x", 1}, {"text", "héllo"}};
  auto echo = harness.run_task("c_echo", params);
  EXPECT_EQ(json::parse(echo->runs().at(0)->result()), params);
  auto lucky = harness.run_task("c_third_time_lucky");
  EXPECT_EQ(lucky->runs().at(0)->run_count(), 3u);
  EXPECT_EQ(json::parse(lucky->runs().at(0)->result()), (json{{"attempt", 3}}));
  auto fail = harness.run_task("c_fail");
  ASSERT_NE(fail->runs().at(0)->error(), nullptr);
  EXPECT_EQ(fail->runs().at(0)->error()->message, "failed in C");
}

// A task def that reports a struct_size smaller than ABI 1.0's rh_task_def (it ends before
// the retry condition fields). Whatever lies past struct_size is not the plugin's: the
// registry must refuse the def or ignore those fields, never use them.
int32_t noop_task(void*, const rh_task_call*) { return RH_TASK_COMPLETED; }
int32_t garbage_condition(void*, const rh_run_view*, rh_error_sink*) { return 1; }

// A def whose struct_size ends before retry_condition: the registry must not read it.
TEST(OlderPlugins, TaskDefFieldsPastStructSizeAreNotRead) {
  rh_task_def def{};
  def.struct_size = offsetof(rh_task_def, retry_condition);
  def.kind = RH_TASK_KIND_TASK;
  def.name = rh_str{"short_def", 9};
  def.run = &noop_task;
  def.retry_condition = &garbage_condition;  // stands for bytes that are not part of the def
  const rh_task_library library{sizeof(rh_task_library), {"short", 5}, {"1", 1}, &def, 1};
  TaskRegistry registry;
  try {
    registry.add_library(library, "short.so");
  } catch (const RegistryError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("short.so"));  // refusing is fine too
    return;
  }
  const auto* registered = registry.find("short_def");
  ASSERT_NE(registered, nullptr);
  EXPECT_EQ(registered->retry_condition, nullptr);
}

}  // namespace
