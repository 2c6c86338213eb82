// The ABI compatibility matrix: a task library (tests/plugins/abi/abi_matrix_tasks.cpp,
// written with the C++ SDK) and a runner (abi_c_runner.c, plain C) built against the frozen
// SDK headers of every earlier minor (tests/abi/frozen/) load on today's host and pass the
// same checks as the ones built against today's SDK: flows with nested submissions,
// retries, failures, sleeps and timeouts, on every built-in runner and on the C runner of
// the same minor. A plugin of a newer minor than the host's is refused, naming both.
//
// A new minor adds its frozen copy and one line to kHeaderSets (docs/abi.md, "Frozen SDKs").
#include "engine_harness.hpp"

#include "plugins/plugin_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace rh::testing {
namespace {

struct HeaderSet {
  std::string name;      // for test names
  std::uint32_t minor;   // RH_ABI_VERSION_MINOR of those headers
  std::string tasks;     // the task library built against them
  std::string c_runner;  // the C runner built against them
};

const std::vector<HeaderSet> kHeaderSets = {
    {"abi_1_0", 0, "abi_matrix_tasks_1_0", "abi_c_runner_frozen_1_0"},
    {"abi_1_1", 1, "abi_matrix_tasks_1_1", "abi_c_runner_frozen_1_1"},
    {"abi_1_2", 2, "abi_matrix_tasks_1_2", "abi_c_runner_frozen_1_2"},
    {"current", RH_ABI_VERSION_MINOR, "abi_matrix_tasks_current", "abi_c_runner"},
};

void PrintTo(const HeaderSet& headers, std::ostream* out) { *out << headers.name; }

// "c" stands for the C runner of the same header set. On "process" the task library's
// attempts run in worker processes, which offer it the worker's own host table.
const std::vector<std::string> kMatrixRunners = {"sequential", "fiber", "tbb", "process", "c"};

class AbiMatrix : public ::testing::TestWithParam<std::tuple<HeaderSet, std::string>> {
 protected:
  const HeaderSet& headers() const { return std::get<0>(GetParam()); }
  std::string runner() const {
    const std::string& name = std::get<1>(GetParam());
    return name == "c" ? test_plugin_path(headers().c_runner) : name;
  }
  // A session with the header set's task library loaded, on this runner.
  std::unique_ptr<EngineHarness> harness() const {
    auto h = std::make_unique<EngineHarness>(runner());
    h->session().load_library(test_plugin_path(headers().tasks));
    return h;
  }
};

TEST_P(AbiMatrix, BothPluginsDeclareTheirHeadersMinor) {
  const host::LoadedPlugin tasks = host::PluginLoader().load_task_library(test_plugin_path(headers().tasks));
  EXPECT_EQ(tasks.descriptor->abi_major, RH_ABI_VERSION_MAJOR);
  EXPECT_EQ(tasks.descriptor->abi_minor, headers().minor);
  EXPECT_EQ(std::string(tasks.library->version.data, tasks.library->version.size),
            "1." + std::to_string(headers().minor));
  const host::LoadedPlugin c_runner = host::PluginLoader().load_runner(test_plugin_path(headers().c_runner));
  EXPECT_EQ(c_runner.descriptor->abi_minor, headers().minor);
}

TEST_P(AbiMatrix, RegistersEveryTaskWithItsOptions) {
  auto h = harness();
  const host::TaskDef* lucky = h->registry().find("third_time_lucky");
  ASSERT_NE(lucky, nullptr);
  EXPECT_EQ(lucky->options.retries, 2);
  EXPECT_EQ(lucky->library, "abi-matrix");
  const host::TaskDef* add = h->registry().find("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->description, "adds a and b");
  ASSERT_NE(h->registry().find("pipeline"), nullptr);
  EXPECT_TRUE(h->registry().find("pipeline")->is_flow);
}

TEST_P(AbiMatrix, FlowWithNestedRunsRetriesAndAFailureCompletes) {
  auto h = harness();
  h->engine();
  auto scope = h->session().run(*h->registry().find("pipeline"), "");
  const auto& flow = *scope->flow_run();
  ASSERT_EQ(flow.state(), host::StateId::Completed) << flow.message(flow.current());
  EXPECT_EQ(json::parse(flow.result()),
            (json{{"sum", 3}, {"lucky", {{"attempt", 3}}}, {"nap", "rested"}, {"nested", 42}, {"boom", "Failed"}}));
  const auto lucky = runs_of(*scope, "third_time_lucky");
  ASSERT_EQ(lucky.size(), 1u);
  EXPECT_EQ(lucky[0]->run_count(), 3u);
  EXPECT_EQ(state_names(*lucky[0]),
            (std::vector<std::string>{"Pending", "Running", "Retrying", "Retrying", "Completed"}));
  const auto boom = runs_of(*scope, "boom");
  ASSERT_EQ(boom.size(), 1u);
  ASSERT_NE(boom[0]->error(), nullptr);
  EXPECT_EQ(boom[0]->error()->type, "std::invalid_argument");
  EXPECT_EQ(boom[0]->error()->message, "boom");
}

TEST_P(AbiMatrix, TaskWithParametersReturnsItsResult) {
  auto h = harness();
  h->engine();
  auto scope = h->session().run(*h->registry().find("add"), json{{"a", 2}, {"b", 5}}.dump());
  ASSERT_EQ(scope->runs().size(), 1u);
  EXPECT_EQ(state_names(*scope->runs()[0]), (std::vector<std::string>{"Pending", "Running", "Completed"}));
  EXPECT_EQ(json::parse(scope->runs()[0]->result()), 7);
}

TEST_P(AbiMatrix, SleepPastTheTimeoutEndsTimedOut) {
  auto h = harness();
  h->engine();
  auto scope = h->session().run(*h->registry().find("oversleep"), "");
  ASSERT_EQ(scope->runs().size(), 1u);
  EXPECT_EQ(scope->runs()[0]->state(), host::StateId::TimedOut);
}

INSTANTIATE_TEST_SUITE_P(Frozen, AbiMatrix,
                         ::testing::Combine(::testing::ValuesIn(kHeaderSets), ::testing::ValuesIn(kMatrixRunners)),
                         [](const auto& info) {
                           return std::get<0>(info.param).name + "_on_" + std::get<1>(info.param);
                         });

// The other direction: a plugin of this major but a newer minor than the host offers.
TEST(AbiMatrixNewer, NewerMinorIsRefusedNamingBothVersions) {
  const std::string path = test_plugin_path("abi_newer_minor");
  const std::string plugin_version =
      std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR + 1);
  const std::string host_version = std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR);
  for (const bool as_runner : {false, true}) {
    try {
      if (as_runner) {
        host::PluginLoader().load_runner(path);
      } else {
        host::PluginLoader().load_task_library(path);
      }
      ADD_FAILURE() << "a plugin of ABI " << plugin_version << " was accepted";
    } catch (const host::PluginError& e) {
      EXPECT_EQ(std::string(e.what()), "plugin '" + path + "' was built for runner-host ABI " + plugin_version +
                                           ", newer than this host: this host speaks ABI " + host_version +
                                           " (minors up to " + std::to_string(RH_ABI_VERSION_MINOR) + ")");
    }
  }
}

}  // namespace
}  // namespace rh::testing
