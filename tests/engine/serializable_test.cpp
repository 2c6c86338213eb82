// SERIALIZABLE isolation (docs/store.md, "Isolation"): one run per cache key computes at a
// time and the others wait, holding no worker, then end Cached with its result; across two
// sessions on one store (two owners, as two processes) too; and a serializable transaction
// waits for the one holding its key, then sees it committed.
#include "engine/task_options.hpp"
#include "engine_harness.hpp"
#include "scratch_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

using namespace std::chrono_literals;
using Names = std::vector<std::string>;

// What the tasks below share with the test.
struct SerialShared {
  std::atomic<int> executions{0};
  std::atomic<int> started{0};
  std::atomic<int> entered{0};  // runs of "square" that got to compute
  std::atomic<bool> release{false};
  std::atomic<bool> other_done{false};
};

// Sleeps (suspending the task, not its worker) until `until` holds, for at most 20 s.
template <class Until>
bool sleep_until_true(const rh::TaskContext& ctx, Until until) {
  for (int i = 0; i < 2000 && !until(); ++i) ctx.sleep(10ms);
  return until();
}

void declare_serial(rh::Library& lib, SerialShared& shared) {
  lib.name("serial").version("1.0.0");
  // Computes once per key at a time; waits for the test's release when asked to.
  lib.task("square",
           [&shared](rh::TaskContext& ctx, const json& p) -> json {
             ++shared.executions;
             ++shared.entered;
             // Long enough that, unlocked, the other runs would all miss and compute too.
             if (p.contains("nap_ms")) ctx.sleep(std::chrono::milliseconds(p.at("nap_ms").get<int>()));
             if (p.value("hold", false)) sleep_until_true(ctx, [&] { return shared.release.load(); });
             if (p.value("until_other", false)) {
               if (!sleep_until_true(ctx, [&] { return shared.other_done.load(); })) return "gave up";
             }
             return p.at("x").get<int>() * p.at("x").get<int>();
           })
      .cache_policy(rh::cache::inputs().exclude({"hold", "until_other", "nap_ms"}))
      .cache_isolation(rh::Isolation::serializable);
  // The same, READ_COMMITTED: each run waits until all four have started, so all compute.
  lib.task("square_rc",
           [&shared](rh::TaskContext& ctx, const json& p) -> json {
             ++shared.executions;
             ++shared.started;
             sleep_until_true(ctx, [&] { return shared.started.load() >= 4; });
             return p.at("x").get<int>() * p.at("x").get<int>();
           })
      .cache_policy(rh::cache::inputs());
  lib.task("other", [&shared](const json&) -> json {
    shared.other_done = true;
    return "done";
  });
  // Submits `count` runs of `task` with params, then `also` (if any), and gathers them all;
  // "also" goes in once a run of "square" computes (whatever order the runner picks).
  lib.flow("many", [&shared](rh::FlowContext& flow, const json& p) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < p.value("count", 1); ++i) {
      futures.push_back(flow.submit(p.at("task").get<std::string>(), p.at("params")));
    }
    if (p.contains("also")) {
      sleep_until_true(flow, [&] { return shared.entered.load() > 0; });
      futures.push_back(flow.submit(p.at("also").get<std::string>()));
    }
    json out = json::array();
    for (rh::Future& f : futures) out.push_back(f.result());
    return out;
  });
  // A serializable transaction under "order": says whether it found the key committed.
  lib.flow("order", [&shared](rh::FlowContext& flow, const json& p) -> json {
    rh::Transaction txn = flow.transaction("order", {rh::CommitMode::inherit, rh::Isolation::serializable});
    const bool was_committed = txn.is_committed();
    ++shared.executions;
    if (p.value("hold", false)) sleep_until_true(flow, [&] { return shared.release.load(); });
    return was_committed;
  });
}

Names sorted_states(const host::RunScope& scope, const std::string& task) {
  Names states;
  for (const host::RunRef& run : runs_of(scope, task)) states.emplace_back(host::state_name(run->state()));
  std::sort(states.begin(), states.end());
  return states;
}

host::SessionOptions store_options_at(const std::string& path) {
  host::SessionOptions options;
  options.store = host::StoreOptions{path};
  return options;
}

// Waits (at most 20 s) until `engine` has a key lock held or waited for.
bool waits_for_a_key(host::Engine& engine) {
  for (int i = 0; i < 2000 && engine.key_locks().keys() == 0; ++i) std::this_thread::sleep_for(10ms);
  return engine.key_locks().keys() != 0;
}

class Serializable : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string store = dir.file("store.db");
  SerialShared shared;
};

TEST_F(Serializable, OneRunPerKeyComputesTheOthersWaitAndEndCached) {
  EngineHarness h("fiber", store_options_at(store));
  declare_serial(h.library(), shared);
  const auto scope = h.run_flow("many", {{"task", "square"}, {"count", 4}, {"params", {{"x", 3}, {"nap_ms", 100}}}});
  EXPECT_EQ(json::parse(scope->flow_run()->result()), json({9, 9, 9, 9}));
  EXPECT_EQ(shared.executions, 1);
  EXPECT_EQ(sorted_states(*scope, "square"), Names({"Cached", "Cached", "Cached", "Completed"}));
  EXPECT_EQ(h.engine().key_locks().keys(), 0u);  // nothing stays behind
}

TEST_F(Serializable, ReadCommittedLetsConcurrentRunsWithOneKeyAllCompute) {
  EngineHarness h("fiber", store_options_at(store));
  declare_serial(h.library(), shared);
  const auto scope = h.run_flow("many", {{"task", "square_rc"}, {"count", 4}, {"params", {{"x", 3}}}});
  EXPECT_EQ(json::parse(scope->flow_run()->result()), json({9, 9, 9, 9}));
  EXPECT_EQ(shared.executions, 4);
  EXPECT_EQ(sorted_states(*scope, "square_rc"), Names({"Completed", "Completed", "Completed", "Completed"}));
}

TEST_F(Serializable, AWaiterHoldsNoWorker) {
  // One worker: the holder sleeps until "other" ran, and the waiter waits for the holder. Had
  // the waiter kept the worker, "other" could never run and the holder would give up.
  EngineHarness h("fiber", {{"max_workers", 1}});
  declare_serial(h.library(), shared);
  const auto scope = h.run_flow(
      "many", {{"task", "square"}, {"count", 2}, {"params", {{"x", 4}, {"until_other", true}}}, {"also", "other"}});
  EXPECT_EQ(json::parse(scope->flow_run()->result()), json({16, 16, "done"}));
  EXPECT_EQ(shared.executions, 1);
  EXPECT_EQ(sorted_states(*scope, "square"), Names({"Cached", "Completed"}));
}

// Two sessions on one store (two owners, as two processes) running `flow` with `params`: the
// first until it holds the key and computes, then the second until it waits for the key too;
// then `while_both` runs and the first is let go. Says whether the second did wait.
struct TwoSessions {
  TwoSessions(const std::string& store, SerialShared& shared)
      : shared(shared), first("tbb", store_options_at(store)), second("tbb", store_options_at(store)) {
    declare_serial(first.library(), shared);
    declare_serial(second.library(), shared);
    first.engine();  // started here, not by the threads below while this one looks at them
    second.engine();
  }

  bool one_after_the_other(const std::string& flow, const json& params, const std::function<void()>& while_both) {
    std::thread a([&] { first_scope = first.run_flow(flow, params); });
    const bool first_holds = waits_for_a_key(first.engine());
    for (int i = 0; i < 2000 && shared.executions == 0; ++i) std::this_thread::sleep_for(10ms);
    std::thread b([&] { second_scope = second.run_flow(flow, params); });
    const bool second_waits = waits_for_a_key(second.engine());
    while_both();
    shared.release = true;
    a.join();
    b.join();
    return first_holds && second_waits;
  }

  SerialShared& shared;
  EngineHarness first;
  EngineHarness second;
  std::unique_ptr<host::RunScope> first_scope;
  std::unique_ptr<host::RunScope> second_scope;
};

TEST_F(Serializable, ASecondSessionOnTheStoreWaitsForTheFirstAndEndsCachedWithItsResult) {
  TwoSessions sessions(store, shared);
  const json params = {{"task", "square"}, {"params", {{"x", 5}, {"hold", true}}}};
  ASSERT_TRUE(sessions.one_after_the_other("many", params, [] {}));
  EXPECT_EQ(shared.executions, 1);
  EXPECT_EQ(sorted_states(*sessions.first_scope, "square"), Names({"Completed"}));
  EXPECT_EQ(sorted_states(*sessions.second_scope, "square"), Names({"Cached"}));
  EXPECT_EQ(json::parse(sessions.second_scope->flow_run()->result()), json({25}));
}

TEST_F(Serializable, ASerializableTransactionWaitsForTheHolderThenSeesItCommitted) {
  TwoSessions sessions(store, shared);
  int executions_while_waiting = 0;
  ASSERT_TRUE(
      sessions.one_after_the_other("order", {{"hold", true}}, [&] { executions_while_waiting = shared.executions; }));
  EXPECT_EQ(executions_while_waiting, 1);  // the second had not begun its transaction
  EXPECT_EQ(json::parse(sessions.first_scope->flow_run()->result()), false);
  EXPECT_EQ(json::parse(sessions.second_scope->flow_run()->result()), true);
}

TEST(SerializableOptions, IsolationIsReadCommittedOrSerializable) {
  EXPECT_TRUE(host::parse_task_options({{"cache", {{"isolation", "serializable"}}}}, "t").cache.serializable);
  EXPECT_FALSE(host::parse_task_options({{"cache", {{"isolation", "read_committed"}}}}, "t").cache.serializable);
  try {
    host::parse_task_options({{"cache", {{"isolation", "snapshot"}}}}, "t");
    FAIL() << "accepted";
  } catch (const host::OptionError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cache.isolation"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("\"snapshot\""));
  }
}

}  // namespace
}  // namespace rh::testing
