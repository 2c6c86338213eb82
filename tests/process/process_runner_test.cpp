// The process runner with a real task library file (tests/plugins/process): attempts run in
// worker processes with the whole SDK, and every way a worker can die or misbehave ends only
// its run, with the engine's states and hooks, while the host goes on. After every test no
// child process of the test is left.
#include "engine_harness.hpp"
#include "log_capture.hpp"
#include "scratch_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using ::testing::HasSubstr;

// The pids of this process's children (threads' children too), from /proc.
std::vector<int> children_of_this_process() {
  std::vector<int> out;
  const std::string self = std::to_string(getpid());
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == self) out.push_back(std::stoi(name));
  }
  closedir(dir);
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string final_message(const host::Run& run) { return std::string(run.message(run.current())); }

class ProcessRunner : public ::testing::Test {
 protected:
  void TearDown() override {
    h_.reset();
    EXPECT_EQ(children_of_this_process(), std::vector<int>{}) << "a worker process outlived its runner";
  }

  host::Engine& start(json options = json::object(), host::EngineOptions engine = {}) {
    if (!options.contains("max_workers")) options["max_workers"] = 2;
    h_ = std::make_unique<EngineHarness>("process", options, std::move(engine));
    h_->session().load_library(test_plugin_path("process_tasks"));
    return h_->engine();
  }

  std::unique_ptr<host::RunScope> run(const std::string& task, const json& params = json::object()) {
    return h_->engine().run(*h_->registry().find(task), params.dump());
  }
  const host::Run& only_run(const host::RunScope& scope) { return *scope.runs().at(0); }
  long pid_of_a_worker() { return std::stol(only_run(*run("pid")).result()); }

  std::unique_ptr<EngineHarness> h_;
  ScratchDir dir_;
};

TEST_F(ProcessRunner, AttemptsRunInWorkerProcessesAndReturnTheirResults) {
  start();
  EXPECT_NE(pid_of_a_worker(), static_cast<long>(getpid()));
  auto scope = run("echo", {{"a", 1}, {"text", "hé"}});
  EXPECT_EQ(json::parse(only_run(*scope).result()), (json{{"a", 1}, {"text", "hé"}}));
  EXPECT_EQ(state_names(only_run(*scope)), (Names{"Pending", "Running", "Completed"}));
}

TEST_F(ProcessRunner, AWorkerThatDiesEndsOnlyItsRunCrashedNamingHowAndIsReplaced) {
  start({{"max_workers", 1}});
  struct Death {
    std::string task;
    json params;
    std::string how;
  };
  for (const Death& death : {Death{"segfault", {}, "was killed by signal 11 (SIGSEGV)"},
                             Death{"abort", {}, "was killed by signal 6 (SIGABRT)"},
                             Death{"exit", {{"status", 3}}, "exited with status 3"}}) {
    SCOPED_TRACE(death.task);
    const long before = pid_of_a_worker();
    auto scope = run(death.task, death.params);
    const host::Run& crashed = only_run(*scope);
    EXPECT_EQ(state_names(crashed), (Names{"Pending", "Running", "Crashed"}));
    EXPECT_EQ(final_message(crashed),
              "worker 1 (pid " + std::to_string(before) + ") " + death.how + " while this attempt ran on it");
    const long after = pid_of_a_worker();
    EXPECT_NE(after, before);
    EXPECT_NE(kill(static_cast<pid_t>(before), 0), 0) << "the dead worker was not reaped";
  }
}

TEST_F(ProcessRunner, OnCrashedHooksRunInTheHostAfterTheWorkerIsGone) {
  start();
  const std::string marker = dir_.file("segfault");
  auto scope = run("segfault", {{"marker", marker}});
  EXPECT_EQ(only_run(*scope).state(), host::StateId::Crashed);
  EXPECT_EQ(read_text(marker + ".on_crashed"), "Crashed");
  EXPECT_EQ(read_text(marker + ".on_failure"), "") << "a crash is not a failure";
}

TEST_F(ProcessRunner, AWorkerKilledFromOutsideMidRunEndsItsRunCrashed) {
  host::Engine& engine = start();
  const std::string pid_file = dir_.file("pid");
  const std::string marker = dir_.file("killed");
  std::unique_ptr<host::RunScope> scope = engine.open_scope();
  engine.start_root(*scope, *h_->registry().find("wait_to_be_killed"),
                    json{{"pid_file", pid_file}, {"marker", marker}}.dump());
  std::string pid;
  for (int i = 0; i < 2000 && pid.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pid = read_text(pid_file);
  }
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(kill(std::stoi(pid), SIGKILL), 0);
  engine.wait(*scope);
  const host::Run& killed = only_run(*scope);
  EXPECT_EQ(killed.state(), host::StateId::Crashed);
  EXPECT_THAT(final_message(killed), HasSubstr("(pid " + pid + ") was killed by signal 9 (SIGKILL)"));
  EXPECT_EQ(read_text(marker + ".on_crashed"), "Crashed");
  EXPECT_EQ(only_run(*run("echo", {{"still", "here"}})).state(), host::StateId::Completed);
}

TEST_F(ProcessRunner, ATaskPastItsMemoryLimitEndsCrashedOutOfMemory) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory alone is far beyond any RLIMIT_AS (docs/sanitizers.md)";
#endif
  start({{"max_memory_mb", 256}});
  auto scope = run("hog", {{"mb", 1024}});
  const host::Run& hog = only_run(*scope);
  EXPECT_EQ(hog.state(), host::StateId::Crashed);
  EXPECT_THAT(final_message(hog), HasSubstr("ran out of memory (max_memory_mb 256"));
  // Within the limit the same task completes.
  EXPECT_EQ(only_run(*run("hog", {{"mb", 16}})).result(), "16");
}

TEST_F(ProcessRunner, AStuckTaskIsKilledAfterTheGracePeriodAndTimesOut) {
  start({{"max_workers", 1}, {"kill_grace_seconds", 0.2}});
  LogCapture logs;
  const long before = pid_of_a_worker();
  auto scope = run("stuck");
  const host::Run& stuck = only_run(*scope);
  EXPECT_EQ(state_names(stuck), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(final_message(stuck), "Task run exceeded timeout of 0.3 second(s)");
  EXPECT_NE(pid_of_a_worker(), before) << "the stuck worker was not replaced";
  EXPECT_TRUE(logs.contains("worker 1 (pid " + std::to_string(before) +
                            ") was killed: its attempt did not stop within kill_grace_seconds (0.2 s) of its timeout"))
      << logs.dump();
}

TEST_F(ProcessRunner, ATimedOutAttemptIsRetriedWhileRetriesRemain) {
  start({{"kill_grace_seconds", 0.1}});
  auto scope = run("stuck_retried");
  const host::Run& stuck = only_run(*scope);
  EXPECT_EQ(state_names(stuck), (Names{"Pending", "Running", "Retrying", "TimedOut"}));
  EXPECT_EQ(stuck.run_count(), 2u);
}

TEST_F(ProcessRunner, ATaskThatHonoursItsDeadlineStopsAndKeepsItsWorker) {
  start({{"max_workers", 1}, {"kill_grace_seconds", 30}});
  const long before = pid_of_a_worker();
  EXPECT_EQ(only_run(*run("cooperative")).state(), host::StateId::TimedOut);
  EXPECT_EQ(only_run(*run("sleeper")).state(), host::StateId::TimedOut);
  EXPECT_EQ(pid_of_a_worker(), before);
}

TEST_F(ProcessRunner, AWorkerThatSendsGarbageIsKilledAndItsRunCrashed) {
  start({{"max_workers", 1}});
  struct Case {
    std::string kind, says;
  };
  for (const Case& c : {Case{"oversized", "sent a malformed message (a frame of 2147483647 bytes is over the limit"},
                        Case{"unknown_type", "sent a malformed message (a message of type 238 (unknown) out of place)"},
                        Case{"truncated", "sent a malformed message (a message ends in the middle of a field)"}}) {
    SCOPED_TRACE(c.kind);
    auto scope = run("garbage", {{"kind", c.kind}});
    const host::Run& bad = only_run(*scope);
    EXPECT_EQ(bad.state(), host::StateId::Crashed);
    EXPECT_THAT(final_message(bad), HasSubstr(c.says));
    EXPECT_EQ(only_run(*run("echo")).state(), host::StateId::Completed);
  }
}

TEST_F(ProcessRunner, WhatAWorkerPrintsAndLogsReachesTheHostsLogAttributedToTheRun) {
  start();
  LogCapture logs;
  auto scope = run("prints", {{"tag", "t1"}});
  const std::string name = only_run(*scope).name();
  EXPECT_TRUE(logs.contains("[" + name + "] to stdout t1")) << logs.dump();
  EXPECT_TRUE(logs.contains("[" + name + "] to stderr t1")) << logs.dump();
  EXPECT_TRUE(logs.contains("[" + name + "] through ctx.log t1")) << logs.dump();
}

TEST_F(ProcessRunner, NestedRunsWaitsAndTheWaiterWorkFromAWorker) {
  start();
  EXPECT_EQ(only_run(*run("nest", {{"depth", 20}})).result(), "20");
  EXPECT_EQ(only_run(*run("fib", {{"n", 12}})).result(), "144");
  const json squares = json::parse(only_run(*run("squares", {{"count", 20}})).result());
  EXPECT_EQ(squares.at("gathered").size(), 20u);
  EXPECT_EQ(squares.at("gathered").at(19), 361);
  EXPECT_EQ(squares.at("as_completed_gave"), true);
  EXPECT_EQ(only_run(*run("uses_waiter")).result(), "\"Completed\"");
}

TEST_F(ProcessRunner, RetriesAndCachingWorkAsOnEveryRunner) {
  start();
  auto retried = run("fails_then_succeeds", {{"failures", 1}});
  EXPECT_EQ(state_names(only_run(*retried)), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(only_run(*retried).result(), "2");
  EXPECT_EQ(only_run(*run("cached", {{"k", 1}})).state(), host::StateId::Completed);
  EXPECT_EQ(only_run(*run("cached", {{"k", 1}})).state(), host::StateId::Cached);
}

TEST_F(ProcessRunner, MaxTasksPerChildRecyclesWorkers) {
  start({{"max_workers", 1}, {"max_tasks_per_child", 2}});
  const long first = pid_of_a_worker();
  EXPECT_EQ(pid_of_a_worker(), first);
  EXPECT_NE(pid_of_a_worker(), first);
}

TEST_F(ProcessRunner, OneRunInTenSegfaultingLeavesTheOtherNineComplete) {
  start();
  auto scope = run("every_tenth_segfaults", {{"count", 100}});
  EXPECT_EQ(scope->flow_run()->result(), "90");
  int crashed = 0;
  for (const host::RunRef& r : scope->runs()) crashed += r->state() == host::StateId::Crashed ? 1 : 0;
  EXPECT_EQ(crashed, 10);
}

TEST_F(ProcessRunner, AnInterruptStopsAttemptsAndKillsWhatDoesNotStop) {
  // Three: the flow's thread waits for the two runs, which need a thread each.
  host::Engine& engine = start({{"kill_grace_seconds", 0.2}, {"max_workers", 3}});
  std::unique_ptr<host::RunScope> scope = engine.open_scope();
  engine.start_root(*scope, *h_->registry().find("interrupted_flow"), json{{"task", "stuck_untimed"}}.dump());
  for (int i = 0; i < 2000; ++i) {
    int running = 0;
    for (const host::RunRef& r : scope->runs()) {
      std::lock_guard<host::SpinLock> lock(r->lock());  // the engine changes it meanwhile
      running += r->state() == host::StateId::Running ? 1 : 0;
    }
    if (running == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  engine.interrupt();
  engine.wait(*scope);
  for (const host::RunRef& r : scope->runs()) {
    EXPECT_EQ(r->state(), host::StateId::Cancelled) << r->name();
    EXPECT_THAT(final_message(*r), HasSubstr("cancelled"));
  }
}

TEST_F(ProcessRunner, TasksOfTheProgramsOwnLibraryRunInTheHost) {
  h_ = std::make_unique<EngineHarness>("process", json{{"max_workers", 1}});
  h_->library().task("here", [](const json&) -> json { return static_cast<long>(getpid()); });
  h_->engine();
  EXPECT_EQ(only_run(*h_->run_task("here")).result(), std::to_string(getpid()));
}

struct BadStart {
  json options;
  std::string says;
};

class ProcessRunnerStart : public ::testing::TestWithParam<BadStart> {
 protected:
  void TearDown() override { EXPECT_EQ(children_of_this_process(), std::vector<int>{}); }
};

TEST_P(ProcessRunnerStart, IsRefusedWithAOneLineReason) {
  EngineHarness h("process", GetParam().options);
  h.session().load_library(test_plugin_path("process_tasks"));
  try {
    h.engine();
    FAIL() << "the runner started";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr(GetParam().says));
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Options, ProcessRunnerStart,
    ::testing::Values(
        BadStart{{{"max_worker", 2}}, "unknown option 'max_worker'"},
        BadStart{{{"kill_grace_seconds", -1}}, "option 'kill_grace_seconds' must be a number of 0 or more, got -1"},
        BadStart{{{"max_memory_mb", "lots"}}, "option 'max_memory_mb' must be an integer of 0 or more, got \"lots\""},
        BadStart{{{"worker_program", "/nonexistent/worker"}},
                 "could not start the worker program '/nonexistent/worker': No such file or directory"},
        BadStart{{{"worker_program", "/bin/false"}, {"max_workers", 1}}, "worker 1 (pid "},
        BadStart{{{"worker_program", "/bin/false"}, {"max_workers", 1}}, "exited with status 1 before it was ready"}));

}  // namespace
}  // namespace rh::testing
