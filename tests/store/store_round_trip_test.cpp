// Every field written comes back: flow runs (start and end), task runs, results inline and
// as files.
#include "store_support.hpp"

#include <gmock/gmock.h>

#include <filesystem>

namespace rh::testing {
namespace {

void expect_same_history(const std::vector<StateRecord>& a, const std::vector<StateRecord>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].time_us, b[i].time_us) << i;
    EXPECT_EQ(a[i].state, b[i].state) << i;
    EXPECT_EQ(a[i].message, b[i].message) << i;
  }
}

void expect_same_task_run(const TaskRunRecord& a, const TaskRunRecord& b) {
  EXPECT_EQ(a.flow_run_id, b.flow_run_id);
  EXPECT_EQ(a.run_no, b.run_no);
  EXPECT_EQ(a.parent_run_no, b.parent_run_no);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.library, b.library);
  EXPECT_EQ(a.library_version, b.library_version);
  EXPECT_EQ(a.task_version, b.task_version);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.state, b.state);
  expect_same_history(a.history, b.history);
  EXPECT_EQ(a.run_count, b.run_count);
  EXPECT_EQ(a.result, b.result);
  EXPECT_EQ(a.result_persisted, b.result_persisted);
  EXPECT_EQ(a.error_type, b.error_type);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.start_us, b.start_us);
  EXPECT_EQ(a.end_us, b.end_us);
  EXPECT_EQ(a.run_time_us, b.run_time_us);
  EXPECT_EQ(a.cache_key, b.cache_key);
  EXPECT_EQ(a.cache_expires_us, b.cache_expires_us);
  EXPECT_EQ(a.upstreams, b.upstreams);
}

TEST(StoreRoundTrip, FlowRunStartAndEnd) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  FlowRunStart start = flow_start(kFlow);
  start.is_flow = false;
  start.resumed_from = "0190a1b2-0000-7000-8000-000000000001";
  store.flow_run_started(start);
  store.flush();

  FlowRunSummary running = store.find_flow_run(kFlow);
  EXPECT_EQ(running.id, kFlow);
  EXPECT_EQ(running.name, start.name);
  EXPECT_EQ(running.flow, start.flow);
  EXPECT_FALSE(running.is_flow);
  EXPECT_EQ(running.library, start.library);
  EXPECT_EQ(running.library_version, start.library_version);
  EXPECT_EQ(running.params, start.params);
  EXPECT_EQ(running.command_line, start.command_line);
  EXPECT_EQ(running.runner, start.runner);
  EXPECT_EQ(running.resumed_from, start.resumed_from);
  EXPECT_EQ(running.start_us, start.start_us);
  EXPECT_FALSE(running.ended);
  EXPECT_EQ(running.state, StateId::Running);
  EXPECT_EQ(running.end_us, 0);
  EXPECT_EQ(running.task_runs, 0u);
  EXPECT_FALSE(store.flow_run_end(kFlow).has_value());

  FlowRunEnd end = flow_end(kFlow, StateId::Failed, kT0 + 9000);
  end.error_type = "RuntimeError";
  end.error_message = "square-3 failed";
  end.result = "";
  store.flow_run_ended(end);
  store.flush();
  FlowRunSummary ended = store.find_flow_run(kFlow);
  EXPECT_TRUE(ended.ended);
  EXPECT_EQ(ended.state, StateId::Failed);
  EXPECT_EQ(ended.message, end.message);
  EXPECT_EQ(ended.end_us, kT0 + 9000);
  std::optional<FlowRunEnd> back = store.flow_run_end(kFlow);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, kFlow);
  EXPECT_EQ(back->state, StateId::Failed);
  EXPECT_EQ(back->message, end.message);
  expect_same_history(back->history, end.history);
  EXPECT_EQ(back->result, "");
  EXPECT_EQ(back->error_type, "RuntimeError");
  EXPECT_EQ(back->error_message, "square-3 failed");
  EXPECT_EQ(back->end_us, kT0 + 9000);
}

TEST(StoreRoundTrip, EveryFieldOfATaskRun) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  store.flow_run_started(flow_start(kFlow));
  std::vector<TaskRunRecord> written;
  TaskRunRecord full = task_run(kFlow, 7);
  full.parent_run_no = 3;
  full.task_version = "2024.1";
  full.history = {{kT0 + 1, StateId::Pending, ""},
                  {kT0 + 2, StateId::Running, ""},
                  {kT0 + 3, StateId::AwaitingRetry, "retry 1 of 2 in 0.5s: \"boom\"\nline two"},
                  {kT0 + 4, StateId::Retrying, ""},
                  {kT0 + 5, StateId::Completed, "ok ✓"}};
  full.run_count = 2;
  full.result = R"({"rows":[1,2,3],"text":"é"})";
  full.cache_key = "square\x1f{\"x\":7}";
  full.cache_expires_us = kT0 + 3600000000;
  full.run_time_us = 12345;
  full.upstreams = {3, 5, 68719476735};
  written.push_back(full);
  TaskRunRecord failed = task_run(kFlow, 8, StateId::Failed);
  failed.params = "";
  written.push_back(failed);
  TaskRunRecord not_persisted = task_run(kFlow, 9);
  not_persisted.result = "";
  not_persisted.result_persisted = false;
  written.push_back(not_persisted);
  TaskRunRecord empty_result = task_run(kFlow, 10);
  empty_result.result = "";  // persisted, and empty
  written.push_back(empty_result);
  TaskRunRecord never_ran = task_run(kFlow, 11, StateId::NotReady);
  never_ran.start_us = 0;
  never_ran.run_time_us = 0;
  never_ran.run_count = 0;
  never_ran.name = "";
  written.push_back(never_ran);
  for (const TaskRunRecord& run : written) store.task_run_ended(run);
  store.flush();
  EXPECT_EQ(store.write_failures().records, 0u) << store.write_failures().first_error;

  const std::vector<TaskRunRecord> back = store.task_runs_of(kFlow);
  ASSERT_EQ(back.size(), written.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    SCOPED_TRACE(written[i].run_no);
    expect_same_task_run(back[i], written[i]);
  }
  EXPECT_TRUE(back[3].result_persisted);
  EXPECT_FALSE(back[2].result_persisted);

  const FlowRunSummary summary = store.find_flow_run(kFlow);
  EXPECT_EQ(summary.task_runs, 5u);
  EXPECT_EQ(summary.by_state[static_cast<std::size_t>(StateId::Completed)], 3u);
  EXPECT_EQ(summary.by_state[static_cast<std::size_t>(StateId::Failed)], 1u);
  EXPECT_EQ(summary.by_state[static_cast<std::size_t>(StateId::NotReady)], 1u);
}

TEST(StoreRoundTrip, TaskRunsComeBackInRunNumberOrderWhateverTheOrderTheyEnded) {
  ScratchDir dir;
  Store store(options_for(dir.file("store.db")));
  store.flow_run_started(flow_start(kFlow));
  for (std::uint64_t run_no : {5, 1, 4, 2, 3}) store.task_run_ended(task_run(kFlow, run_no));
  const std::string other = "0190a1b2-c3d4-7e5f-8a6b-000000000000";
  store.flow_run_started(flow_start(other));
  store.task_run_ended(task_run(other, 1));
  store.flush();
  std::vector<std::uint64_t> order;
  for (const TaskRunRecord& run : store.task_runs_of(kFlow)) order.push_back(run.run_no);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(store.task_runs_of(other).size(), 1u);
  EXPECT_EQ(store_error_of([&] { store.task_runs_of("0190a1b2-0000-7000-8000-00000000abcd"); }),
            "no flow run in store " + store.path().string() + " matches '0190a1b2-0000-7000-8000-00000000abcd'");
}

TEST(StoreRoundTrip, LargeResultsAreFilesBesideTheStoreReadBackTransparently) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.inline_result_bytes = 100;
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  TaskRunRecord big = task_run(kFlow, 1);
  big.result = "\"" + std::string(5000, 'x') + "\"";
  TaskRunRecord small = task_run(kFlow, 2);
  TaskRunRecord at_limit = task_run(kFlow, 3);
  at_limit.result = std::string(100, '7');
  store.task_run_ended(big);
  store.task_run_ended(small);
  store.task_run_ended(at_limit);
  FlowRunEnd end = flow_end(kFlow);
  end.result = "[" + std::string(300, '1') + "]";
  store.flow_run_ended(end);
  store.flush();

  const std::filesystem::path folder = dir.file("store.db.results");
  const std::string big_file = host::task_run_uuid(kFlow, 1) + ".json";
  EXPECT_TRUE(std::filesystem::is_regular_file(folder / big_file));
  EXPECT_EQ(std::filesystem::file_size(folder / big_file), big.result.size());
  EXPECT_TRUE(std::filesystem::is_regular_file(folder / (kFlow + ".json")));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder), {}), 2);  // no temporaries left

  const auto runs = store.task_runs_of(kFlow);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].result, big.result);
  EXPECT_EQ(runs[1].result, small.result);
  EXPECT_EQ(runs[2].result, at_limit.result);
  EXPECT_EQ(store.flow_run_end(kFlow)->result, end.result);

  RawDb db(options.path.string());
  EXPECT_EQ(db.rows("SELECT run_no, result IS NULL, result_file, result_bytes FROM task_runs ORDER BY run_no"),
            "1|1|" + big_file + "|5002\n2|0|NULL|NULL\n3|0|NULL|NULL\n");

  const auto info = store.info();
  EXPECT_EQ(info.result_files, 2u);
  EXPECT_EQ(info.result_file_bytes, 5002u + 302u);
  EXPECT_EQ(info.persisted_results, 3u);
}

TEST(StoreRoundTrip, AResultFileGoneOrCutShortIsAnErrorNamingIt) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.file("store.db"));
  options.inline_result_bytes = 10;
  Store store(options);
  store.flow_run_started(flow_start(kFlow));
  TaskRunRecord big = task_run(kFlow, 1);
  big.result = std::string(50, '1');
  store.task_run_ended(big);
  store.flush();
  const std::string file = dir.file("store.db.results/" + host::task_run_uuid(kFlow, 1) + ".json");
  dir.write("store.db.results/" + host::task_run_uuid(kFlow, 1) + ".json", "12");
  EXPECT_EQ(
      store_error_of([&] { store.task_runs_of(kFlow); }),
      "store " + options.path.string() + ": cannot read result file " + file + ": 2 bytes instead of 50 (cut short?)");
  std::filesystem::remove(file);
  EXPECT_EQ(store_error_of([&] { store.task_runs_of(kFlow); }),
            "store " + options.path.string() + ": cannot read result file " + file + ": No such file or directory");
}

// The upstreams column read back must be what the writer writes: anything else is named.
TEST(StoreRoundTrip, UnreadableUpstreamsAreAnErrorNamingTheTaskRun) {
  ScratchDir dir;
  {
    Store store(options_for(dir.file("store.db")));
    store.flow_run_started(flow_start(kFlow));
    TaskRunRecord run = task_run(kFlow, 4);
    run.upstreams = {1, 2};
    store.task_run_ended(run);
    store.flush();
  }
  RawDb db(dir.file("store.db"));
  EXPECT_EQ(db.text("SELECT upstreams FROM task_runs"), "1 2");
  for (const char* bad : {"1,2", "1  2", " 1", "x", "99999999999999999999999"}) {
    SCOPED_TRACE(bad);
    ASSERT_EQ(db.exec(std::string("UPDATE task_runs SET upstreams = '") + bad + "'"), "");
    Store store(options_for(dir.file("store.db")));
    try {
      store.task_runs_of(kFlow);
      ADD_FAILURE() << "no error";
    } catch (const StoreError& e) {
      EXPECT_THAT(e.what(),
                  ::testing::HasSubstr("task run " + std::string(kFlow) + "/4 has unreadable upstreams '" + bad + "'"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr(dir.file("store.db")));
    }
  }
}

}  // namespace
}  // namespace rh::testing
