// runner-host --runner process: a task that crashes, aborts or exits ends only its run, and
// the host writes its report and exits 1 (not 139 or 134 as on the in-process runners);
// Ctrl-C stops the workers through the host; bad runner options exit 2 naming the option.
// After every run no worker process of that host is left. The timeouts are hang guards only.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;

constexpr double kProcessHangGuard = 60;

// Worker processes whose host is gone: a runner-host-worker whose parent is not the host
// pid it was started with. A worker being killed with its host may need a moment to go.
std::vector<std::string> orphaned_workers() {
  std::vector<std::string> orphans;
  for (int attempt = 0; attempt < 200; ++attempt) {
    orphans.clear();
    DIR* dir = opendir("/proc");
    if (dir == nullptr) return orphans;
    while (dirent* entry = readdir(dir)) {
      const std::string pid = entry->d_name;
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in("/proc/" + pid + "/cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const std::size_t end = cmdline.find('\0');
      if (end == std::string::npos || cmdline.substr(0, end).find("runner-host-worker") == std::string::npos) continue;
      const std::string host = cmdline.substr(end + 1, cmdline.find('\0', end + 1) - end - 1);
      std::ifstream stat("/proc/" + pid + "/stat");
      std::string line;
      std::getline(stat, line);
      std::istringstream rest(line.substr(line.rfind(')') + 2));
      std::string state, ppid;
      rest >> state >> ppid;
      if (state != "Z" && ppid != host) orphans.push_back(pid + " (host " + host + ", parent " + ppid + ")");
    }
    closedir(dir);
    if (orphans.empty()) return orphans;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return orphans;
}

class CliProcess : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(orphaned_workers(), std::vector<std::string>{}); }
};

struct Fault {
  std::string task;
  std::string params;
  std::string how;
};

class CliProcessFault : public ::testing::TestWithParam<Fault> {
 protected:
  void TearDown() override { EXPECT_EQ(orphaned_workers(), std::vector<std::string>{}); }
};

TEST_P(CliProcessFault, EndsOnlyItsRunAndTheHostReportsEverything) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kProcessHangGuard;
  const Fault& fault = GetParam();
  const ProcessResult r = run_host(
      {"--plugin", kHazards, "--flow", "then_bad", "--runner", "process", "--max-workers", "2", "--params",
       R"({"bad": ")" + fault.task + R"(", "bad_params": )" + fault.params + "}", "--report", dir.file("r.json")},
      options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("7 task runs: 6 Completed, 1 Crashed")) << describe(r);
  EXPECT_THAT(r.out, HasSubstr(R"(Completed: "survived")")) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("[" + fault.task + "-")) << "its output reaches the log: " << describe(r);
  EXPECT_THAT(r.err, HasSubstr(fault.task + " running")) << describe(r);
  const json report = parse_json_file(dir.file("r.json"));
  ASSERT_EQ(report.at("task_runs").size(), 7u);
  const json& crashed = report.at("task_runs").at(3);
  EXPECT_EQ(crashed.at("task"), fault.task);
  EXPECT_EQ(crashed.at("state").at("name"), "Crashed");
  EXPECT_THAT(crashed.at("state").at("message").get<std::string>(),
              ::testing::MatchesRegex("worker [12] \\(pid [0-9]+\\) " + fault.how + " while this attempt ran on it"));
  EXPECT_EQ(report.at("flow").at("state").at("name"), "Completed");
}

INSTANTIATE_TEST_SUITE_P(Faults, CliProcessFault,
                         ::testing::Values(Fault{"segfault", "{}", "was killed by signal 11 \\(SIGSEGV\\)"},
                                           Fault{"abort", "{}", "was killed by signal 6 \\(SIGABRT\\)"},
                                           Fault{"exit", R"({"status": 3})", "exited with status 3"}),
                         [](const auto& info) { return info.param.task; });

TEST_F(CliProcess, CtrlCStopsTheWorkersThroughTheHost) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = kProcessHangGuard;
  ProcessStep interrupt;
  interrupt.stream = Stream::err;  // the stubborn task's line reaches the host's log
  interrupt.marker = "stubborn running";
  interrupt.signal = SIGINT;
  options.steps = {interrupt};
  write_file(dir.file("c.json"),
             json{{"plugins", json::array({kSleepers})},
                  {"flow", "stubborn_flow"},
                  {"runner", {{"name", "process"}, {"max_workers", 2}, {"kill_grace_seconds", 0.2}}}}
                 .dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json"), "--report", dir.file("r.json")}, options);
  ASSERT_EQ(r.steps_done, 1u) << describe(r);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("did not stop within kill_grace_seconds (0.2 s) of its cancellation")) << describe(r);
  const json report = parse_json_file(dir.file("r.json"));
  EXPECT_EQ(report.at("interrupted"), true);
  ASSERT_EQ(report.at("task_runs").size(), 1u);
  EXPECT_EQ(report.at("task_runs").at(0).at("state").at("name"), "Cancelled");
}

TEST_F(CliProcess, BadRunnerOptionsExit2NamingTheOption) {
  TempDir dir;
  write_file(dir.file("c.json"), json{{"plugins", json::array({kHazards})},
                                      {"flow", "then_bad"},
                                      {"runner", {{"name", "process"}, {"kill_grace_seconds", -1}}}}
                                     .dump());
  const ProcessResult r = run_host({"--config", dir.file("c.json")});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("option 'kill_grace_seconds' must be a number of 0 or more, got -1")) << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
}

}  // namespace
