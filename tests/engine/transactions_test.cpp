// Transactions (docs/transactions.md; prefect-semantics.md A.8.10-11): commit and rollback
// of the runs in them with their hooks, commit modes, nesting, values, and a key committed
// in an earlier invocation sharing the store.
#include "engine_harness.hpp"
#include "scratch_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rh::testing {
namespace {

using Names = std::vector<std::string>;

// Lets the flow that ignores its deadline go on (AnAttemptItsTimeoutAbandoned...).
std::atomic<bool> release_late_flow{false};
// What that flow's attempt got when it tried another transaction; read once it returned.
std::string& late_flow_error() {
  static std::string error;
  return error;
}

// Hook calls as "<hook>:<run name>", in the order they happened.
class Calls {
 public:
  rh::Hook record(const std::string& hook) {
    return [this, hook](const rh::RunInfo& info) {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(hook + ":" + info.run_name);
    };
  }
  Names take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(calls_, {});
  }

 private:
  std::mutex mutex_;
  Names calls_;
};

const char* state_text(rh::TransactionState state) {
  switch (state) {
    case rh::TransactionState::active: return "active";
    case rh::TransactionState::staged: return "staged";
    case rh::TransactionState::committed: return "committed";
    case rh::TransactionState::rolled_back: break;
  }
  return "rolled_back";
}

rh::CommitMode mode_of(const json& p, const char* key) {
  const std::string mode = p.value(key, "inherit");
  if (mode == "lazy") return rh::CommitMode::lazy;
  if (mode == "eager") return rh::CommitMode::eager;
  if (mode == "off") return rh::CommitMode::off;
  return rh::CommitMode::inherit;
}

// One invocation: a session (on `store`, if given) with the tasks and flows of the tests.
class Invocation {
 public:
  Invocation(Calls& calls, const std::optional<std::string>& store) : harness_("tbb", options(store)) {
    rh::Library& lib = harness_.library();
    lib.name("shop").version("1.0.0");
    lib.task("charge", [](const json& p) -> json { return p.at("amount"); })
        .task_run_name("charge-{amount}")
        .on_commit(calls.record("commit"))
        .on_rollback(calls.record("rollback"));
    lib.task("ship", [](const json& p) -> json {
      if (p.value("fail", false)) throw std::runtime_error("carrier down");
      return "shipped";
    });
    lib.task("square", [](const json& p) -> json { return p.at("x").get<int>() * p.at("x").get<int>(); })
        .task_run_name("square-{x}")
        .cache_policy(rh::cache::inputs())
        .on_commit(calls.record("commit"));

    // The example: a charge and a shipment in one transaction.
    lib.flow("order", [](rh::FlowContext& flow, const json& p) -> json {
      json out = json::object();
      try {
        rh::Transaction txn = flow.transaction("order-" + p.at("id").dump());
        out["was_committed"] = txn.is_committed();
        flow.submit("charge", {{"amount", 5}}).result();
        out["shipped"] = flow.submit("ship", {{"fail", p.value("fail", false)}}).result();
        txn.set("note", "ok");
      } catch (const rh::TaskRunError&) {
        out["rolled_back"] = true;
      }
      return out;
    });
    // An outer and an inner transaction, each with charges; p says the modes and what to do.
    lib.flow("nested", [](rh::FlowContext& flow, const json& p) -> json {
      json out = json::object();
      rh::Transaction outer = flow.transaction(p.value("outer_key", ""), {mode_of(p, "outer_mode")});
      outer.set("outer_value", 1);
      flow.submit("charge", {{"amount", 1}}).result();
      {
        rh::Transaction inner = flow.transaction(p.value("inner_key", ""), {mode_of(p, "inner_mode")});
        flow.submit("charge", {{"amount", 2}}).result();
        if (p.value("inner_rollback", false)) inner.rollback();
        if (p.value("inner_commit", false)) out["inner_commit"] = inner.commit();
        out["inner_before_exit"] = state_text(inner.state());
        inner.set("inner_value", 2);
        out["sees_outer_value"] = inner.get("outer_value", "none");
        out["inner_value_here"] = inner.get("inner_value");
        flow.submit("charge", {{"amount", 3}}).result();
        if (p.value("inner_throws", false)) {
          try {
            rh::Transaction failing = flow.transaction("", {mode_of(p, "inner_mode")});
            flow.submit("charge", {{"amount", 4}}).result();
            throw std::runtime_error("inner failure");
          } catch (const std::runtime_error&) {
          }
        }
      }
      out["outer_after_inner"] = state_text(outer.state());
      out["outer_sees_inner_value"] = outer.get("inner_value", "none");
      if (p.value("outer_commit", false)) out["outer_commit"] = outer.commit();
      return out;
    });
    lib.flow("values", [](rh::FlowContext& flow, const json&) -> json {
      rh::Transaction outer = flow.transaction("");
      outer.set("user", {{"id", 7}});
      rh::Transaction inner = flow.transaction("");
      json out = {{"inherited", inner.get("user")}, {"missing", inner.get("nope", "fallback")}};
      inner.set("user", "shadowed");
      out["inner"] = inner.get("user");
      out["outer"] = outer.get("user");
      return out;
    });
    // Two identical cached runs inside one transaction of the given mode.
    lib.flow("twice", [](rh::FlowContext& flow, const json& p) -> json {
      rh::Transaction txn = flow.transaction(p.value("key", ""), {mode_of(p, "mode")});
      flow.submit("square", {{"x", 3}}).result();
      flow.submit("square", {{"x", 3}}).result();
      return txn.is_committed();
    });
    // Ignores its deadline inside a transaction with one completed run staged, until the test
    // lets it go: then it leaves the transaction, which commits.
    lib.flow("late_commit",
             [](rh::FlowContext& flow, const json&) -> json {
               {
                 rh::Transaction txn = flow.transaction("late-1");
                 flow.submit("charge", {{"amount", 7}}).result();
                 while (!release_late_flow.load()) std::this_thread::yield();
               }
               try {
                 rh::Transaction again = flow.transaction("late-2");
                 late_flow_error() = "opened";
               } catch (const std::exception& e) {
                 late_flow_error() = e.what();
               }
               return "late";
             })
        .timeout(0.2);
    // Leaves the transaction by an exception after committing it, or not.
    lib.flow("commit_then_throw", [](rh::FlowContext& flow, const json& p) -> json {
      try {
        rh::Transaction txn = flow.transaction("", {mode_of(p, "mode")});
        flow.submit("charge", {{"amount", 9}}).result();
        if (p.value("commit", false)) txn.commit();
        throw std::runtime_error("after the work");
      } catch (const std::runtime_error&) {
      }
      return "done";
    });
  }

  std::unique_ptr<host::RunScope> run(const std::string& flow, const json& params) {
    return harness_.run_flow(flow, params);
  }
  host::Store& store() { return *harness_.session().store(); }
  host::Engine& engine() { return harness_.engine(); }

 private:
  static host::SessionOptions options(const std::optional<std::string>& store) {
    host::SessionOptions options;
    if (store) options.store = host::StoreOptions{*store};
    return options;
  }
  EngineHarness harness_;
};

json flow_result(const host::RunScope& scope) { return json::parse(scope.flow_run()->result()); }

// The final states of the runs of `task`, in creation order.
Names final_states(const host::RunScope& scope, const std::string& task) {
  Names states;
  for (const host::RunRef& run : runs_of(scope, task)) states.emplace_back(host::state_name(run->state()));
  return states;
}

class Transactions : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string store = dir.file("store.db");
  Calls calls;

  // The persisted result of each task run of the latest flow run, by run name ("-" when not
  // persisted).
  std::map<std::string, std::string> persisted(Invocation& invocation) {
    invocation.store().flush();
    std::map<std::string, std::string> out;
    const host::FlowRunSummary last = invocation.store().find_flow_run("last");
    for (const host::TaskRunRecord& run : invocation.store().task_runs_of(last.id)) {
      out[run.name] = run.result_persisted ? run.result : "-";
    }
    return out;
  }
};

TEST_F(Transactions, LeavingTheScopeCommitsTheRunsInItWithTheirHooksAndTheTransactionsRecord) {
  Invocation invocation(calls, store);
  const auto scope = invocation.run("order", {{"id", 1}});
  EXPECT_EQ(flow_result(*scope), json({{"was_committed", false}, {"shipped", "shipped"}}));
  EXPECT_EQ(calls.take(), Names({"commit:charge-5"}));
  EXPECT_EQ(persisted(invocation)["charge-5"], "5");
  const std::optional<host::TransactionRecord> record = invocation.store().find_transaction("order-1");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(json::parse(record->values), json({{"note", "ok"}}));
  EXPECT_EQ(record->flow_run_id, scope->flow_run_uuid());
}

TEST_F(Transactions, AnExceptionRollsBackNothingOfItIsPersistedAndOnRollbackHooksRun) {
  Invocation invocation(calls, store);
  const auto scope = invocation.run("order", {{"id", 2}, {"fail", true}});
  EXPECT_EQ(flow_result(*scope), json({{"was_committed", false}, {"rolled_back", true}}));
  EXPECT_EQ(calls.take(), Names({"rollback:charge-5"}));
  // The run is recorded (it happened), but not its result.
  const auto results = persisted(invocation);
  ASSERT_EQ(results.count("charge-5"), 1u);
  EXPECT_EQ(results.at("charge-5"), "-");
  EXPECT_FALSE(invocation.store().find_transaction("order-2").has_value());
}

TEST_F(Transactions, AKeyCommittedInAnEarlierInvocationIsReportedAndItsCachedRunsEndCached) {
  {
    Invocation first(calls, store);
    const auto scope = first.run("twice", {{"key", "squares"}});
    EXPECT_EQ(flow_result(*scope), false);
  }
  calls.take();
  Invocation second(calls, store);
  const auto scope = second.run("twice", {{"key", "squares"}});
  EXPECT_EQ(flow_result(*scope), true);
  EXPECT_EQ(final_states(*scope, "square"), Names({"Cached", "Cached"}));
  EXPECT_EQ(calls.take(), Names());  // nothing computed, nothing committed
}

TEST_F(Transactions, InsideALazyTransactionResultsWaitForTheCommitSoIdenticalRunsBothCompute) {
  Invocation invocation(calls, store);
  EXPECT_EQ(final_states(*invocation.run("twice", {{"mode", "lazy"}}), "square"), Names({"Completed", "Completed"}));
  EXPECT_EQ(calls.take(), Names({"commit:square-3", "commit:square-3"}));
}

TEST_F(Transactions, InsideAnEagerTransactionEachRunPersistsAsItCompletesSoTheSecondIsCached) {
  Invocation invocation(calls, store);
  EXPECT_EQ(final_states(*invocation.run("twice", {{"mode", "eager"}}), "square"), Names({"Completed", "Cached"}));
  EXPECT_EQ(calls.take(), Names({"commit:square-3"}));
}

TEST_F(Transactions, ALazyNestedCommitIsStagedUntilTheOuterOneCommits) {
  Invocation invocation(calls, store);
  const auto scope = invocation.run("nested", {{"inner_key", "inner"}, {"outer_key", "outer"}, {"inner_commit", true}});
  const json out = flow_result(*scope);
  EXPECT_EQ(out.at("inner_commit"), true);
  EXPECT_EQ(out.at("inner_before_exit"), "staged");
  EXPECT_EQ(out.at("outer_after_inner"), "active");
  EXPECT_EQ(out.at("sees_outer_value"), 1);
  EXPECT_EQ(out.at("inner_value_here"), 2);
  EXPECT_EQ(out.at("outer_sees_inner_value"), "none");  // values do not flow up
  // The inner runs' hooks wait for the outer commit, then every run's run in completion order.
  EXPECT_EQ(calls.take(), Names({"commit:charge-1", "commit:charge-2", "commit:charge-3"}));
  const auto results = persisted(invocation);
  EXPECT_EQ(results.at("charge-1"), "1");
  EXPECT_EQ(results.at("charge-2"), "2");
  EXPECT_EQ(results.at("charge-3"), "3");
  EXPECT_TRUE(invocation.store().find_transaction("inner").has_value());
  EXPECT_TRUE(invocation.store().find_transaction("outer").has_value());
}

TEST_F(Transactions, AnEagerNestedTransactionCommitsOnItsOwnExit) {
  Invocation invocation(calls, store);
  const auto scope = invocation.run("nested", {{"inner_mode", "eager"}, {"outer_mode", "off"}});
  const json out = flow_result(*scope);
  EXPECT_EQ(out.at("inner_before_exit"), "active");
  EXPECT_EQ(out.at("outer_after_inner"), "active");
  // The eager inner runs persisted as they completed; the off outer one rolled back at its
  // exit (no commit), which cannot undo what already committed.
  EXPECT_EQ(calls.take(), Names({"commit:charge-2", "commit:charge-3", "rollback:charge-1"}));
  const auto results = persisted(invocation);
  EXPECT_EQ(results.at("charge-1"), "-");
  EXPECT_EQ(results.at("charge-2"), "2");
  EXPECT_EQ(results.at("charge-3"), "3");
}

TEST_F(Transactions, ANestedRollbackRollsTheOuterOneBackLatestRunFirst) {
  Invocation invocation(calls, store);
  const auto scope = invocation.run("nested", {{"inner_rollback", true}, {"outer_commit", true}});
  const json out = flow_result(*scope);
  EXPECT_EQ(out.at("inner_before_exit"), "rolled_back");
  EXPECT_EQ(out.at("outer_after_inner"), "rolled_back");
  EXPECT_EQ(out.at("outer_commit"), false);  // too late: it rolled back with the inner one
  // The inner run first (its transaction rolled back first), then the outer's; charge-3,
  // submitted into the rolled-back inner transaction, rolls back as it completes.
  EXPECT_EQ(calls.take(), Names({"rollback:charge-2", "rollback:charge-1", "rollback:charge-3"}));
  const auto results = persisted(invocation);
  for (const char* name : {"charge-1", "charge-2", "charge-3"}) EXPECT_EQ(results.at(name), "-") << name;
}

TEST_F(Transactions, AnInnerTransactionLeftByAnExceptionRollsBackEverythingEnclosingIt) {
  Invocation invocation(calls, store);
  const auto scope = invocation.run("nested", {{"inner_throws", true}});
  EXPECT_EQ(flow_result(*scope).at("outer_after_inner"), "rolled_back");
  EXPECT_EQ(calls.take(), Names({"rollback:charge-4", "rollback:charge-3", "rollback:charge-2", "rollback:charge-1"}));
}

TEST_F(Transactions, OffModeRollsBackUnlessCommittedAndACommitSurvivesALaterException) {
  Invocation invocation(calls, std::nullopt);  // no store: hooks and states only
  invocation.run("commit_then_throw", {{"mode", "off"}});
  EXPECT_EQ(calls.take(), Names({"rollback:charge-9"}));
  invocation.run("commit_then_throw", {{"mode", "off"}, {"commit", true}});
  EXPECT_EQ(calls.take(), Names({"commit:charge-9"}));
  invocation.run("commit_then_throw", {{"mode", "lazy"}, {"commit", true}});
  EXPECT_EQ(calls.take(), Names({"commit:charge-9"}));
  invocation.run("commit_then_throw", {{"mode", "lazy"}});
  EXPECT_EQ(calls.take(), Names({"rollback:charge-9"}));
}

TEST_F(Transactions, ValuesAreSeenByNestedTransactionsAndShadowedThere) {
  Invocation invocation(calls, std::nullopt);
  const auto scope = invocation.run("values", json::object());
  EXPECT_EQ(flow_result(*scope),
            json({{"inherited", {{"id", 7}}}, {"missing", "fallback"}, {"inner", "shadowed"}, {"outer", {{"id", 7}}}}));
}

TEST_F(Transactions, WithoutAStoreACommittedKeyIsKnownForTheRestOfTheSession) {
  Invocation invocation(calls, std::nullopt);
  EXPECT_EQ(flow_result(*invocation.run("twice", {{"key", "k"}})), false);
  EXPECT_EQ(flow_result(*invocation.run("twice", {{"key", "k"}})), true);
}

// The flow run's timeout takes it over and its scope is freed while its attempt, which
// ignores the deadline, still holds a transaction with a completed run in it. When that
// attempt leaves the transaction, the run is recorded under its flow run all the same (the
// sanitizer builds check that nothing reads the freed scope), and its on_commit hook runs.
TEST_F(Transactions, AnAttemptItsTimeoutAbandonedStillRecordsTheRunsOfItsTransactionWhenItLeavesIt) {
  Invocation invocation(calls, store);
  release_late_flow = false;
  std::string flow_run_id;
  {
    const auto scope = invocation.run("late_commit", {});
    ASSERT_EQ(scope->flow_run()->state(), host::StateId::TimedOut);
    flow_run_id = scope->flow_run_uuid();
  }
  EXPECT_EQ(calls.take(), Names{}) << "nothing is committed before the attempt leaves its transaction";
  release_late_flow = true;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (invocation.engine().abandoned_attempts_executing() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(invocation.engine().abandoned_attempts_executing(), 0) << "hang guard: the late attempt never returned";
  EXPECT_EQ(calls.take(), Names({"commit:charge-7"}));
  EXPECT_THAT(late_flow_error(), ::testing::StartsWith("transaction: the run 'late_commit-"));
  EXPECT_THAT(late_flow_error(), ::testing::EndsWith("' already ended (its attempt was abandoned)"));
  invocation.store().flush();
  const std::vector<host::TaskRunRecord> runs = invocation.store().task_runs_of(flow_run_id);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "charge-7");
  EXPECT_EQ(runs[0].result, "7");
  EXPECT_TRUE(runs[0].result_persisted);
}

}  // namespace
}  // namespace rh::testing
