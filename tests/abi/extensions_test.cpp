// Extensions (DESIGN.md section 3, rule 8): features looked up at run time by a versioned id,
// in both directions. The host answers rh.host_info/1 to any plugin (and to its runners
// through rh_runner_host); the host finds a plugin's own extensions through its descriptor;
// unknown ids, and plugins built before extensions existed, give nothing.
#include "engine_harness.hpp"

#include "plugins/extensions.hpp"
#include "plugins/plugin_loader.hpp"

#include <runner_host/sdk.hpp>

#include <gtest/gtest.h>

#include <string>

namespace rh::testing {
namespace {

struct Doubler {  // as abi_extension.cpp defines "test.doubler/1"
  std::uint32_t struct_size;
  int (*twice)(int);
};

TEST(HostExtensions, HostInfoNamesThisHostAndItsVersion) {
  EngineHarness h("sequential");  // points this binary's SDK at the host
  const auto* info = rh::host_extension<rh_host_info>(RH_EXT_HOST_INFO);
  ASSERT_NE(info, nullptr);
  EXPECT_GE(info->struct_size, sizeof(rh_host_info));
  EXPECT_EQ(rh::to_string(info->name), "runner-host");
  EXPECT_EQ(rh::to_string(info->version), std::string(host::host_version()));
  EXPECT_FALSE(rh::to_string(info->version).empty());
}

TEST(HostExtensions, UnknownIdsGiveNothing) {
  EngineHarness h("sequential");
  EXPECT_EQ(rh::host_extension<void>("rh.host_info/2"), nullptr) << "another version is another id";
  EXPECT_EQ(rh::host_extension<void>("rh.host_info"), nullptr);
  EXPECT_EQ(rh::host_extension<void>(""), nullptr);
  EXPECT_EQ(rh::host_extension<void>("vendor.unknown/1"), nullptr);
}

TEST(HostExtensions, ATaskLibraryReachesThemThroughTheSdk) {
  EngineHarness h("sequential");
  h.session().load_library(test_plugin_path("abi_extension"));
  auto scope = h.run_task("host_name");
  ASSERT_EQ(scope->runs().size(), 1u);
  EXPECT_EQ(scope->runs()[0]->result(), "\"runner-host " + std::string(host::host_version()) + "\"");
}

TEST(PluginExtensions, TheHostFindsAPluginsExtensionById) {
  const host::LoadedPlugin plugin = host::PluginLoader().load_task_library(test_plugin_path("abi_extension"));
  const auto* doubler = static_cast<const Doubler*>(plugin.extension("test.doubler/1"));
  ASSERT_NE(doubler, nullptr);
  EXPECT_EQ(doubler->struct_size, sizeof(Doubler));
  EXPECT_EQ(doubler->twice(21), 42);
  EXPECT_EQ(plugin.extension("test.doubler/2"), nullptr);
  EXPECT_EQ(plugin.extension("rh.host_info/1"), nullptr) << "the plugin's extensions, not the host's";
}

TEST(PluginExtensions, APluginBuiltBeforeExtensionsHasNone) {
  // abi_c_tasks is an ABI 1.0 library: its descriptor ends before get_extension.
  const host::LoadedPlugin plugin = host::PluginLoader().load_task_library(test_plugin_path("abi_c_tasks"));
  ASSERT_LT(plugin.descriptor->struct_size, sizeof(rh_plugin_descriptor));
  EXPECT_EQ(plugin.extension("test.doubler/1"), nullptr);
}

}  // namespace
}  // namespace rh::testing
