// TaskRegistry: registering libraries (validated, all or nothing) and applying the config's
// per-task option overrides (validated as a batch: a bad entry changes nothing).
#include "engine/task_registry.hpp"
#include "plugins/host_api.hpp"

#include <runner_host/sdk.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using rh::host::RegistryError;
using rh::host::TaskRegistry;
using ::testing::HasSubstr;

class TaskRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test binary plays the plugin: its SDK copy talks to the in-process host.
    rh::detail::host_slot() = rh::host::host_api();
    library_.name("unit-lib");
    library_.task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); })
        .retries(1)
        .tags({"db"})
        .description("adds");
    library_.task("other", [] { return 0; }).timeout(10);
    library_.flow("pipeline", [] {});
    registry_.add_library(*library_.finish(), "unit.so");
  }

  std::string override_error(const json& overrides) {
    try {
      registry_.apply_overrides(overrides, "cfg.json");
    } catch (const RegistryError& e) {
      return e.what();
    }
    ADD_FAILURE() << "overrides " << overrides.dump() << " were accepted";
    return {};
  }

  const rh::host::TaskDef& def(const std::string& name) {
    const rh::host::TaskDef* found = registry_.find(name);
    if (found == nullptr) throw std::logic_error("no task " + name);
    return *found;
  }

  rh::Library library_;
  TaskRegistry registry_;
};

TEST_F(TaskRegistryTest, RegistersTasksAndFlowsWithTheirOrigin) {
  ASSERT_EQ(registry_.tasks().size(), 2u);
  EXPECT_EQ(registry_.tasks()[0]->name, "add");
  EXPECT_EQ(registry_.tasks()[1]->name, "other");
  ASSERT_EQ(registry_.flows().size(), 1u);
  EXPECT_TRUE(registry_.flows()[0]->is_flow);
  EXPECT_EQ(def("add").library, "unit-lib");
  EXPECT_EQ(def("add").plugin, "unit.so");
  EXPECT_EQ(def("add").description, "adds");
  EXPECT_EQ(def("add").options.retries, 1);
  EXPECT_EQ(def("add").declared_options, (json{{"retries", 1}, {"tags", {"db"}}}));
  EXPECT_EQ(registry_.find("missing"), nullptr);
}

TEST_F(TaskRegistryTest, OverridesMergeOverDeclaredOptions) {
  registry_.apply_overrides({{"add", {{"retries", 3}, {"timeout_seconds", 2}}}}, "cfg.json");
  const auto& add = def("add");
  EXPECT_EQ(add.options.retries, 3);                            // overridden
  EXPECT_EQ(add.options.timeout_seconds, 2);                    // added
  EXPECT_EQ(add.options.tags, std::vector<std::string>{"db"});  // kept from the library
  EXPECT_EQ(add.options_json, (json{{"retries", 3}, {"timeout_seconds", 2}, {"tags", {"db"}}}));
  EXPECT_EQ(add.declared_options, (json{{"retries", 1}, {"tags", {"db"}}}));  // what the library said
  EXPECT_EQ(def("other").options.timeout_seconds, 10);                        // untouched
}

TEST_F(TaskRegistryTest, NullOverridesChangeNothing) {
  registry_.apply_overrides(json(), "cfg.json");
  EXPECT_EQ(def("add").options.retries, 1);
}

TEST_F(TaskRegistryTest, UnknownTaskNamesSourceAndTask) {
  EXPECT_EQ(override_error({{"nope", {{"retries", 1}}}}),
            "cfg.json: tasks.nope: no loaded library defines a task 'nope'");
}

TEST_F(TaskRegistryTest, BadOverrideNamesSourceTaskAndOption) {
  EXPECT_EQ(override_error({{"add", {{"retries", -1}}}}),
            "cfg.json: tasks.add: task 'add': option 'retries' must be an integer >= 0, got -1");
  EXPECT_EQ(override_error({{"add", 3}}), "cfg.json: tasks.add must be an object of options");
  EXPECT_EQ(override_error(json::array({1})), "cfg.json: 'tasks' must be an object of task name -> options");
}

TEST_F(TaskRegistryTest, FailedBatchChangesNothing) {
  // JSON objects iterate in key order, so the valid "add" entry is validated (and staged)
  // before the bad one is found; it must not be applied.
  EXPECT_THAT(override_error({{"add", {{"retries", 7}}}, {"other", {{"timeout_seconds", -1}}}}),
              HasSubstr("tasks.other"));
  EXPECT_THAT(override_error({{"add", {{"retries", 7}}}, {"zzz", {{"retries", 1}}}}), HasSubstr("tasks.zzz"));
  EXPECT_EQ(def("add").options.retries, 1);
  EXPECT_EQ(def("add").options_json, def("add").declared_options);
  EXPECT_EQ(def("other").options.timeout_seconds, 10);
}

// --- add_library errors, with hand-built C tables

int32_t noop_task(void*, const rh_task_call*) { return RH_TASK_COMPLETED; }
int32_t noop_hook(void*, const rh_run_view*, rh_error_sink*) { return RH_OK; }

rh_str text(const char* s) { return rh_str{s, std::char_traits<char>::length(s)}; }

rh_task_def make_def(const char* name, const char* options = "") {
  rh_task_def def{};
  def.struct_size = sizeof(rh_task_def);
  def.kind = RH_TASK_KIND_TASK;
  def.name = text(name);
  def.options_json = text(options);
  def.run = &noop_task;
  return def;
}

std::string add_error(TaskRegistry& registry, const std::vector<rh_task_def>& defs) {
  const rh_task_library library{sizeof(rh_task_library), text("hand"), text("1"), defs.data(), defs.size()};
  try {
    registry.add_library(library, "hand.so");
  } catch (const RegistryError& e) {
    return e.what();
  }
  ADD_FAILURE() << "library was accepted";
  return {};
}

TEST(TaskRegistryAdd, BadDeclaredOptionNamesPluginTaskAndOption) {
  TaskRegistry registry;
  EXPECT_EQ(add_error(registry, {make_def("ok"), make_def("t", R"({"retries": -2})")}),
            "plugin 'hand.so': task 't': option 'retries' must be an integer >= 0, got -2");
  EXPECT_TRUE(registry.empty());  // "ok" came first but is not registered either
}

TEST(TaskRegistryAdd, OptionsThatAreNotJson) {
  TaskRegistry registry;
  EXPECT_THAT(add_error(registry, {make_def("t", "{retries")}),
              HasSubstr("plugin 'hand.so': task 't': options are not valid JSON: "));
}

TEST(TaskRegistryAdd, EmptyNameAndMissingFunction) {
  TaskRegistry registry;
  EXPECT_EQ(add_error(registry, {make_def("")}), "plugin 'hand.so': a task has an empty name");
  rh_task_def no_fn = make_def("t");
  no_fn.run = nullptr;
  EXPECT_EQ(add_error(registry, {no_fn}), "plugin 'hand.so': task 't' has no function");
}

TEST(TaskRegistryAdd, InvalidHooks) {
  TaskRegistry registry;
  const rh_hook bad_kind{sizeof(rh_hook), 9, text("h"), &noop_hook, nullptr};
  rh_task_def def = make_def("t");
  def.hooks = &bad_kind;
  def.hook_count = 1;
  EXPECT_EQ(add_error(registry, {def}), "plugin 'hand.so': task 't' has an invalid hook");
  const rh_hook no_call{sizeof(rh_hook), RH_HOOK_ON_FAILURE, text("h"), nullptr, nullptr};
  def.hooks = &no_call;
  EXPECT_EQ(add_error(registry, {def}), "plugin 'hand.so': task 't' has an invalid hook");
}

TEST(TaskRegistryAdd, HooksAreGroupedByKindInOrder) {
  TaskRegistry registry;
  const rh_hook hooks[] = {
      {sizeof(rh_hook), RH_HOOK_ON_COMPLETION, text("c1"), &noop_hook, nullptr},
      {sizeof(rh_hook), RH_HOOK_ON_FAILURE, text("f1"), &noop_hook, nullptr},
      {sizeof(rh_hook), RH_HOOK_ON_COMPLETION, text("c2"), &noop_hook, nullptr},
  };
  rh_task_def def = make_def("t");
  def.hooks = hooks;
  def.hook_count = 3;
  const std::vector<rh_task_def> defs{def};
  const rh_task_library library{sizeof(rh_task_library), text("hand"), text("1"), defs.data(), defs.size()};
  registry.add_library(library, "hand.so");
  const auto& completion = registry.find("t")->hooks_of(RH_HOOK_ON_COMPLETION);
  ASSERT_EQ(completion.size(), 2u);
  EXPECT_EQ(completion[0], &hooks[0]);
  EXPECT_EQ(completion[1], &hooks[2]);
  EXPECT_EQ(registry.find("t")->hooks_of(RH_HOOK_ON_FAILURE).size(), 1u);
  EXPECT_TRUE(registry.find("t")->hooks_of(RH_HOOK_ON_RUNNING).empty());
}

TEST_F(TaskRegistryTest, AnOverrideKeyHoldingANewlineStaysOnOneLine) {
  // Found by fuzzing (fuzz/config_fuzzer.cpp): the key went into the message as it was, and
  // the message took two lines.
  EXPECT_EQ(override_error(json::parse(R"({"a\nb": {}})")),
            R"(cfg.json: tasks["a\nb"]: no loaded library defines a task 'a?b')");
}

}  // namespace
