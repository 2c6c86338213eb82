// Finding and listing flow runs: full ids, prefixes, "last", filters, the order, short ids,
// and query plans that never scan task runs.
#include "store_support.hpp"

#include "store/store_queries.hpp"

namespace rh::testing {
namespace {

// Ids chosen so that prefixes are shared: a..1, a..2 share 35 characters.
const std::string kA1 = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a21";
const std::string kA2 = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a22";
const std::string kB = "0190a1b3-0000-7000-8000-000000000000";
const std::string kC = "0190ffff-0000-7000-8000-000000000000";

class StoreHistory : public ::testing::Test {
 protected:
  StoreHistory() : store_(options_for(dir_.file("store.db"))) {
    store_.flow_run_started(flow_start(kA1, "etl", kT0 + 1));
    store_.flow_run_started(flow_start(kA2, "report", kT0 + 2));
    store_.flow_run_started(flow_start(kB, "etl", kT0 + 3));
    store_.flow_run_started(flow_start(kC, "etl", kT0 + 4));  // never ends
    store_.flow_run_ended(flow_end(kA1, StateId::Completed, kT0 + 10));
    store_.flow_run_ended(flow_end(kA2, StateId::Failed, kT0 + 11));
    store_.flow_run_ended(flow_end(kB, StateId::Failed, kT0 + 12));
    store_.flush();
  }
  std::vector<std::string> ids(const FlowRunFilter& filter) {
    std::vector<std::string> out;
    for (const FlowRunSummary& run : store_.list_flow_runs(filter)) out.push_back(run.id);
    return out;
  }
  std::string path() const { return store_.path().string(); }

  ScratchDir dir_;
  Store store_;
};

TEST_F(StoreHistory, FindsAFullIdAPrefixAndLast) {
  EXPECT_EQ(store_.find_flow_run(kA2).id, kA2);
  EXPECT_EQ(store_.find_flow_run("0190a1b3").id, kB);
  EXPECT_EQ(store_.find_flow_run("0190A1B3").id, kB);  // capitals too
  EXPECT_EQ(store_.find_flow_run("0190f").id, kC);
  EXPECT_EQ(store_.find_flow_run("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a21").id, kA1);
  EXPECT_EQ(store_.find_flow_run("last").id, kC);  // the latest started, ended or not
}

TEST_F(StoreHistory, AnAmbiguousPrefixSaysHowManyItMatches) {
  EXPECT_EQ(store_error_of([&] { store_.find_flow_run("0190a"); }),
            "'0190a' matches 3 flow runs in store " + path() + ": give more characters");
  EXPECT_EQ(store_error_of([&] { store_.find_flow_run("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2"); }),
            "'0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2' matches 2 flow runs in store " + path() + ": give more characters");
}

TEST_F(StoreHistory, NoMatchSaysSo) {
  EXPECT_EQ(store_error_of([&] { store_.find_flow_run("abc"); }), "no flow run in store " + path() + " matches 'abc'");
  EXPECT_EQ(store_error_of([&] { store_.find_flow_run(""); }), "no flow run in store " + path() + " matches ''");
  EXPECT_EQ(store_error_of([&] { store_.find_flow_run("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a23"); }),
            "no flow run in store " + path() + " matches '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a23'");
}

TEST(StoreHistoryEmpty, LastInAnEmptyStoreSaysItHoldsNone) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  EXPECT_EQ(store_error_of([&] { store.find_flow_run("last"); }),
            "store " + store.path().string() + " holds no flow runs");
  EXPECT_TRUE(store.list_flow_runs({}).empty());
}

TEST_F(StoreHistory, ListsLatestFirstWithFiltersAndALimit) {
  EXPECT_EQ(ids({}), (std::vector<std::string>{kC, kB, kA2, kA1}));
  FlowRunFilter two;
  two.limit = 2;
  EXPECT_EQ(ids(two), (std::vector<std::string>{kC, kB}));
  FlowRunFilter etl;
  etl.flow = "etl";
  EXPECT_EQ(ids(etl), (std::vector<std::string>{kC, kB, kA1}));
  FlowRunFilter failed;
  failed.state = StateId::Failed;
  EXPECT_EQ(ids(failed), (std::vector<std::string>{kB, kA2}));
  FlowRunFilter etl_failed = etl;
  etl_failed.state = StateId::Failed;
  EXPECT_EQ(ids(etl_failed), (std::vector<std::string>{kB}));
  FlowRunFilter running;
  running.state = StateId::Running;
  EXPECT_EQ(ids(running), (std::vector<std::string>{kC}));
  FlowRunFilter none;
  none.flow = "nothing";
  EXPECT_TRUE(ids(none).empty());
  FlowRunFilter all;
  all.limit = 0;  // no limit
  EXPECT_EQ(ids(all).size(), 4u);
}

TEST_F(StoreHistory, RunsStartedAtTheSameTimeKeepTheOrderTheyWereWritten) {
  const std::string d = "0190a1b4-0000-7000-8000-000000000000";
  const std::string e = "0190a1b0-0000-7000-8000-000000000000";
  store_.flow_run_started(flow_start(d, "etl", kT0 + 50));
  store_.flow_run_started(flow_start(e, "etl", kT0 + 50));
  store_.flush();
  FlowRunFilter two;
  two.limit = 2;
  EXPECT_EQ(ids(two), (std::vector<std::string>{e, d}));
  EXPECT_EQ(store_.find_flow_run("last").id, e);
}

TEST_F(StoreHistory, ShortIdsAreUniqueAndAtLeastTheMinimum) {
  EXPECT_EQ(store_.short_id(kC), "0190ffff");
  EXPECT_EQ(store_.short_id(kB), "0190a1b3");
  EXPECT_EQ(store_.short_id(kA1), kA1);  // shares 35 characters with kA2
  EXPECT_EQ(store_.short_id(kB, 4), "0190a1b3");
  EXPECT_EQ(store_.short_id(kC, 4), "0190f");
  for (const std::string& id : {kA1, kA2, kB, kC}) EXPECT_EQ(store_.find_flow_run(store_.short_id(id, 1)).id, id);
}

TEST_F(StoreHistory, ReadsUseIndexesAndNeverScanTaskRuns) {
  RawDb db(path());
  const auto plan = [&db](const std::string& sql) { return db.rows("EXPLAIN QUERY PLAN " + sql); };
  using namespace host::detail;
  // (the plan's detail column, the last of each row)
  EXPECT_NE(plan(list_flow_runs_sql(false, std::nullopt)).find("SCAN flow_runs USING INDEX flow_runs_by_start"),
            std::string::npos);
  EXPECT_NE(plan(list_flow_runs_sql(true, StateId::Failed)).find("SEARCH flow_runs USING INDEX flow_runs_by_flow"),
            std::string::npos);
  for (const std::string& sql : {list_flow_runs_sql(false, std::nullopt), list_flow_runs_sql(true, std::nullopt),
                                 list_flow_runs_sql(false, StateId::Running), list_flow_runs_sql(true, StateId::Failed),
                                 std::string(kLastFlowRun)}) {
    EXPECT_EQ(plan(sql).find("TEMP B-TREE"), std::string::npos) << sql << "\n" << plan(sql);
    EXPECT_EQ(plan(sql).find("task_runs"), std::string::npos) << sql;
  }
  EXPECT_NE(plan(kFlowRunsByPrefix).find("USING INDEX sqlite_autoindex_flow_runs_1 (uuid>? AND uuid<?)"),
            std::string::npos)
      << plan(kFlowRunsByPrefix);
  EXPECT_NE(plan(kTaskRunsOfFlowRun).find("SEARCH task_runs USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"),
            std::string::npos)
      << plan(kTaskRunsOfFlowRun);
  const std::string lookup = plan(kLookupCache);
  EXPECT_NE(lookup.find("SEARCH c USING PRIMARY KEY (key=?)"), std::string::npos) << lookup;
  EXPECT_NE(lookup.find("SEARCH t USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << lookup;
  EXPECT_NE(lookup.find("SEARCH f USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << lookup;
}

}  // namespace
}  // namespace rh::testing
