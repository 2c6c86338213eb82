// The engine with a store: every run recorded, cache policies across invocations (each
// invocation a session of its own on the same store file), why a run was or was not a hit,
// and resuming a flow run's completed task runs.
#include "engine_harness.hpp"
#include "scratch_dir.hpp"

#include "engine/resume_set.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

namespace rh::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

json square(const json& p) { return p.at("x").get<int>() * p.at("x").get<int>(); }

// One invocation: a session on `store`, with the tasks every test uses.
class Invocation {
 public:
  explicit Invocation(const std::string& store, std::string square_version = "1", host::EngineOptions engine = {})
      : harness_("tbb", options(store, std::move(engine))) {
    rh::Library& lib = harness_.library();
    lib.name("shop").version("1.0.0");
    lib.task("square", square).version(square_version).cache_policy(rh::cache::inputs() + rh::cache::task_source());
    lib.task("square_nodebug", square).cache_policy(rh::cache::inputs().exclude({"debug"}));
    lib.task("keyed", square).cache_key_fn([](const rh::TaskContext&, const json& p) -> std::optional<std::string> {
      if (p.value("no_key", false)) return std::nullopt;
      return "sq-" + p.at("x").dump();
    });
    lib.task("always_fresh", square).cache_policy(rh::cache::inputs()).refresh_cache(true);
    lib.task("short_lived", square).cache_policy(rh::cache::inputs()).cache_expiration(0.001);
    lib.task("unpersisted", square).cache_policy(rh::cache::inputs()).persist_result(false);
    lib.task("flaky",
             [](const json& p) -> json {
               if (p.value("fail", false)) throw std::runtime_error("carrier down");
               return "shipped";
             })
        .cache_policy(rh::cache::inputs());
    lib.task("plain", square);
    lib.flow("one", [](rh::FlowContext& flow, const json& p) {
      return flow.submit(p.at("task").get<std::string>(), p.at("params")).result();
    });
    lib.flow("tolerant", [](rh::FlowContext& flow, const json& p) -> json {
      try {
        return flow.submit(p.at("task").get<std::string>(), p.at("params")).result();
      } catch (const rh::TaskRunError&) {
        return "failed";
      }
    });
  }

  // Runs `task` with `params` inside flow "one" (or "tolerant"); returns the task run.
  host::RunRef run(const std::string& task, const json& params, const std::string& flow = "one") {
    scope_ = harness_.run_flow(flow, {{"task", task}, {"params", params}});
    const std::vector<host::RunRef> runs = runs_of(*scope_, task);
    EXPECT_EQ(runs.size(), 1u);
    return runs.front();
  }
  host::RunScope& scope() { return *scope_; }
  EngineHarness& harness() { return harness_; }
  host::Store& store() { return *harness_.session().store(); }

 private:
  static host::SessionOptions options(const std::string& store, host::EngineOptions engine) {
    host::SessionOptions options;
    options.engine = std::move(engine);
    options.store = host::StoreOptions{store};
    return options;
  }

  EngineHarness harness_;
  std::unique_ptr<host::RunScope> scope_;
};

std::string outcome(const host::Run& run) { return run.cache_note() == nullptr ? "" : run.cache_note()->outcome; }

class StoreCaching : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string store = dir.file("store.db");
};

TEST_F(StoreCaching, EveryRunIsRecordedWithItsHistoryResultAndError) {
  std::string flow_run_id;
  {
    Invocation first(store);
    const host::RunRef ok = first.run("plain", {{"x", 4}});
    EXPECT_EQ(ok->state(), host::StateId::Completed);
    flow_run_id = first.scope().flow_run_uuid();
  }
  {
    Invocation second(store);
    second.run("flaky", {{"fail", true}}, "tolerant");
  }
  host::Store reader(host::StoreOptions{store});
  const std::vector<host::FlowRunSummary> flows = reader.list_flow_runs({});
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[1].id, flow_run_id);  // latest first
  EXPECT_EQ(flows[1].flow, "one");
  EXPECT_TRUE(flows[1].ended);
  EXPECT_EQ(flows[1].state, host::StateId::Completed);
  const std::vector<host::TaskRunRecord> runs = reader.task_runs_of(flow_run_id);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].task, "plain");
  EXPECT_EQ(runs[0].library, "shop");
  EXPECT_EQ(runs[0].library_version, "1.0.0");
  EXPECT_EQ(json::parse(runs[0].params), json({{"x", 4}}));
  EXPECT_EQ(runs[0].result, "16");
  EXPECT_TRUE(runs[0].result_persisted);
  EXPECT_EQ(runs[0].run_count, 1u);
  ASSERT_GE(runs[0].history.size(), 3u);
  EXPECT_EQ(runs[0].history.front().state, host::StateId::Pending);
  EXPECT_EQ(runs[0].history.back().state, host::StateId::Completed);
  for (std::size_t i = 1; i < runs[0].history.size(); ++i) {
    EXPECT_GT(runs[0].history[i].time_us, runs[0].history[i - 1].time_us);
  }
  const std::vector<host::TaskRunRecord> failed = reader.task_runs_of(flows[0].id);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].state, host::StateId::Failed);
  EXPECT_EQ(failed[0].error_message, "carrier down");
  EXPECT_TRUE(failed[0].result.empty());
}

TEST_F(StoreCaching, AHitCrossesInvocationsAndSaysWhereItCameFrom) {
  std::string first_flow;
  {
    Invocation first(store);
    const host::RunRef run = first.run("square", {{"x", 3}});
    EXPECT_EQ(run->state(), host::StateId::Completed);
    EXPECT_EQ(outcome(*run), "miss: no record");
    first_flow = first.scope().flow_run_uuid();
  }
  Invocation second(store);
  const host::RunRef run = second.run("square", {{"x", 3}});
  EXPECT_EQ(run->state(), host::StateId::Cached);
  EXPECT_EQ(run->result(), "9");
  EXPECT_EQ(outcome(*run), "hit");
  EXPECT_THAT(std::string(run->message(run->current())), HasSubstr(first_flow));
  EXPECT_THAT(run->cache_note()->key, StartsWith("square:"));
  // Other inputs: another key.
  EXPECT_EQ(second.run("square", {{"x", 5}})->state(), host::StateId::Completed);
}

TEST_F(StoreCaching, ANewTaskVersionIsANewKey) {
  { Invocation(store, "1").run("square", {{"x", 3}}); }
  Invocation second(store, "2");
  const host::RunRef run = second.run("square", {{"x", 3}});
  EXPECT_EQ(run->state(), host::StateId::Completed);
  EXPECT_EQ(outcome(*run), "miss: no record");
}

TEST_F(StoreCaching, ExcludedParametersDoNotChangeTheKey) {
  { Invocation(store).run("square_nodebug", {{"x", 3}, {"debug", 1}}); }
  Invocation second(store);
  EXPECT_EQ(second.run("square_nodebug", {{"x", 3}, {"debug", 2}})->state(), host::StateId::Cached);
  EXPECT_EQ(second.run("square_nodebug", {{"x", 4}, {"debug", 1}})->state(), host::StateId::Completed);
}

TEST_F(StoreCaching, FailuresAreNeverStoredUnderAKey) {
  { Invocation(store).run("flaky", {{"fail", true}}, "tolerant"); }
  Invocation second(store);
  const host::RunRef run = second.run("flaky", {{"fail", true}}, "tolerant");
  EXPECT_EQ(run->state(), host::StateId::Failed);
  EXPECT_EQ(outcome(*run), "miss: no record");
}

TEST_F(StoreCaching, AnExpiredEntrySaysWhenItExpired) {
  { Invocation(store).run("short_lived", {{"x", 3}}); }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Invocation second(store);
  const host::RunRef run = second.run("short_lived", {{"x", 3}});
  EXPECT_EQ(run->state(), host::StateId::Completed);
  EXPECT_THAT(outcome(*run), StartsWith("miss: expired at 20"));
}

TEST_F(StoreCaching, RefreshRunsAndReplacesTheEntry) {
  { Invocation(store).run("always_fresh", {{"x", 3}}); }
  Invocation second(store);
  const host::RunRef run = second.run("always_fresh", {{"x", 3}});
  EXPECT_EQ(run->state(), host::StateId::Completed);
  EXPECT_EQ(outcome(*run), "refresh requested");

  host::EngineOptions refresh;
  refresh.refresh_cache = true;
  { Invocation(store).run("square", {{"x", 7}}); }
  Invocation third(store, "1", refresh);
  EXPECT_EQ(outcome(*third.run("square", {{"x", 7}})), "refresh requested");
}

TEST_F(StoreCaching, NoCacheLooksNothingUp) {
  { Invocation(store).run("square", {{"x", 3}}); }
  host::EngineOptions off;
  off.no_cache = true;
  Invocation second(store, "1", off);
  const host::RunRef run = second.run("square", {{"x", 3}});
  EXPECT_EQ(run->state(), host::StateId::Completed);
  EXPECT_EQ(outcome(*run), "not cacheable: caching is off (--no-cache)");
}

TEST_F(StoreCaching, AKeyFunctionKeysByItsOwnKeyOrNotAtAll) {
  { Invocation(store).run("keyed", {{"x", 3}}); }
  Invocation second(store);
  const host::RunRef hit = second.run("keyed", {{"x", 3}, {"other", 1}});
  EXPECT_EQ(hit->state(), host::StateId::Cached);
  EXPECT_EQ(hit->cache_note()->key, "sq-3");
  const host::RunRef none = second.run("keyed", {{"x", 3}, {"no_key", true}});
  EXPECT_EQ(none->state(), host::StateId::Completed);
  EXPECT_EQ(outcome(*none), "not cacheable: cache_key_fn returned no key");
}

TEST_F(StoreCaching, ATaskThatDoesNotPersistItsResultIsNeitherStoredNorAHit) {
  std::string flow;
  {
    Invocation first(store);
    first.run("unpersisted", {{"x", 3}});
    flow = first.scope().flow_run_uuid();
  }
  Invocation second(store);
  const host::RunRef run = second.run("unpersisted", {{"x", 3}});
  EXPECT_EQ(run->state(), host::StateId::Completed);
  EXPECT_EQ(outcome(*run), "not cacheable: the task does not persist its results");
  const std::vector<host::TaskRunRecord> records = second.store().task_runs_of(flow);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].result_persisted);
  EXPECT_TRUE(records[0].result.empty());
}

TEST_F(StoreCaching, AResumedFlowRunTakesTheStoredResultsOfItsMatches) {
  Invocation invocation(store);
  EngineHarness& harness = invocation.harness();
  auto resume = std::make_shared<host::ResumeSet>("0190aaaa-0000-7000-8000-000000000000");
  resume->add("plain", R"({"x": 2})", "4");
  resume->add("plain", R"({"x":2})", "400");  // a second occurrence of the same inputs
  const auto scope = harness.run_flow_with("one", {{"task", "plain"}, {"params", {{"x", 2}}}},
                                           [&](host::RunScope& s) { s.set_resume(resume); });
  const host::RunRef run = runs_of(*scope, "plain").front();
  EXPECT_EQ(run->state(), host::StateId::Cached);
  EXPECT_EQ(run->result(), "4");
  EXPECT_EQ(outcome(*run), "resumed from flow run 0190aaaa-0000-7000-8000-000000000000");
  EXPECT_EQ(resume->size(), 1u);  // each stored run is used once
  // Other inputs run.
  const auto other = harness.run_flow_with("one", {{"task", "plain"}, {"params", {{"x", 5}}}},
                                           [&](host::RunScope& s) { s.set_resume(resume); });
  EXPECT_EQ(runs_of(*other, "plain").front()->state(), host::StateId::Completed);
}

}  // namespace
}  // namespace rh::testing
