// A runner written in plain C against abi.h alone (tests/plugins/abi/abi_c_runner.c): its
// optional functions NULL (concurrency, event_is_set, inline_depth, set_host), built as of
// ABI 1.2 and as of ABI 1.1, and against the frozen abi.h of ABI 1.0 and 1.1
// (tests/abi/frozen/). It loads, runs nested submissions, sleeps and timed waits, and
// its timed waits get their timers from the session calling into it, through the
// process-level timer functions of ABI 1.0. A runner table missing a required function is
// refused by name.
#include "engine_harness.hpp"

#include "plugins/plugin_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace rh::testing {
namespace {

using ::testing::HasSubstr;

struct CRunnerStats {  // as abi_c_runner.c defines "test.c_runner/1"
  std::uint32_t struct_size;
  std::uint64_t (*timers_unavailable)();
};

class CRunner : public ::testing::TestWithParam<std::string> {
 protected:
  std::string path() const { return test_plugin_path(GetParam()); }
};

TEST_P(CRunner, LoadsWithItsOptionalFunctionsNull) {
  const host::LoadedPlugin plugin = host::PluginLoader().load_runner(path());
  ASSERT_NE(plugin.descriptor->runner, nullptr);
  EXPECT_EQ(plugin.descriptor->runner->concurrency, nullptr);
  EXPECT_EQ(plugin.descriptor->runner->event_is_set, nullptr);
  const rh_runner_api& api = *plugin.descriptor->runner;
  // Fields past the table's struct_size are not the plugin's: read only what it has.
  if (GetParam() == "abi_c_runner_frozen_1_0") {
    EXPECT_EQ(api.struct_size, offsetof(rh_runner_api, inline_depth));
  } else {
    EXPECT_EQ(api.inline_depth, nullptr);
  }
  if (GetParam() == "abi_c_runner_1_1" || GetParam() == "abi_c_runner_frozen_1_1") {
    EXPECT_EQ(api.struct_size, offsetof(rh_runner_api, set_host));
  } else if (RH_HAS_FIELD(&api, rh_runner_api, set_host)) {
    EXPECT_EQ(api.set_host, nullptr);
  }
}

TEST_P(CRunner, RunsAFlowWithNestedWaitsSleepsAndTimedWaits) {
  EngineHarness h(path());
  h.library().task("nap", [](rh::TaskContext& ctx) {
    ctx.sleep(std::chrono::milliseconds(5));
    return "rested";
  });
  h.library().task("impatient", [] {
    rh::Event never;
    return never.wait(std::chrono::milliseconds(5)) ? "set" : "timed out";
  });
  h.library().task("parent", [](rh::TaskContext& ctx) { return ctx.submit("nap").result(); });
  h.library().flow("flow", [](rh::FlowContext& flow) -> json {
    rh::Future nap = flow.submit("nap");
    rh::Future impatient = flow.submit("impatient");
    rh::Future parent = flow.submit("parent");
    return {nap.result(), impatient.result(), parent.result()};
  });
  auto scope = h.run_flow("flow");
  ASSERT_EQ(scope->flow_run()->state(), host::StateId::Completed)
      << scope->flow_run()->message(scope->flow_run()->current());
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"rested", "timed out", "rested"}));
  EXPECT_EQ(h.session().runner_name(), "c");

  const host::LoadedPlugin plugin = host::PluginLoader().load_runner(path());
  if (plugin.descriptor->abi_minor < 2) return;  // no get_extension before ABI 1.2
  const auto* stats = static_cast<const CRunnerStats*>(plugin.extension("test.c_runner/1"));
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->timers_unavailable(), 0u) << "every timed wait got a timer from the session";
}

INSTANTIATE_TEST_SUITE_P(Abi, CRunner,
                         ::testing::Values("abi_c_runner", "abi_c_runner_1_1", "abi_c_runner_frozen_1_0",
                                           "abi_c_runner_frozen_1_1"),
                         [](const auto& info) { return info.param; });

// Outside any call from a session, the process-level timer functions have no session to
// serve: they say so with 0 (and a log line) instead of arming a timer nobody owns.
TEST(CRunnerTimers, TheProcessLevelTimersServeNoThreadOutsideASession) {
  EngineHarness h("sequential");  // points this binary's SDK at the host
  const rh_host_api& api = rh::detail::host();
  const std::uint64_t id = api.timer_schedule(
      api.now_ns(), [](void*) {}, nullptr);
  EXPECT_EQ(id, 0u);
  EXPECT_FALSE(api.timer_cancel(id));
}

// The same runner without event_set, which abi.h marks required: refused at load, naming
// the file, before anything could call the missing function.
TEST(CRunnerTable, ARequiredFunctionMissingIsRefused) {
  const std::string path = test_plugin_path("abi_c_runner_incomplete");
  try {
    host::PluginLoader().load_runner(path);
    ADD_FAILURE() << "a runner table without event_set was accepted";
  } catch (const host::PluginError& e) {
    EXPECT_EQ(std::string(e.what()), "plugin '" + path + "': its runner table is incomplete for ABI " +
                                         std::to_string(RH_ABI_VERSION_MAJOR) + "." +
                                         std::to_string(RH_ABI_VERSION_MINOR));
  }
}

// A session refuses it the same way, and stays without a runner.
TEST(CRunnerTable, ASessionRefusesItAndStaysWithoutARunner) {
  EngineHarness h("sequential");
  try {
    h.session().start_runner(test_plugin_path("abi_c_runner_incomplete"));
    ADD_FAILURE() << "started";
  } catch (const host::PluginError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("runner table is incomplete"));
  }
  EXPECT_FALSE(h.session().started());
}

}  // namespace
}  // namespace rh::testing
