// --report and --events write only regular files, never through what someone planted at or
// next to the path (a symlink, a FIFO, a device node), leave no temporary file behind, and
// a run whose events could not all be written says how many and exits non-zero.
#include "cli_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <string>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;

std::vector<std::string> entries_of(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

ProcessResult run_flow_with(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--plugin", kTasks, "--flow", "sum", "--runner", "sequential"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessOptions options;
  options.timeout_seconds = 30;  // hang guard: a FIFO must not block the host
  return run_host(args, options);
}

TEST(CliOutputFiles, ReportRefusesWhatIsNotARegularFile) {
  TempDir dir;
  write_file(dir.file("target.txt"), "precious");
  std::filesystem::create_symlink(dir.file("target.txt"), dir.file("link.json"));
  ASSERT_EQ(mkfifo(dir.file("fifo.json").c_str(), 0644), 0);
  std::filesystem::create_directory(dir.file("dir.json"));
  struct Case {
    std::string path;
    std::string kind;
  };
  for (const Case& c : {Case{dir.file("link.json"), "a symbolic link"}, Case{dir.file("fifo.json"), "a FIFO"},
                        Case{dir.file("dir.json"), "a directory"}, Case{"/dev/null", "a character device"}}) {
    SCOPED_TRACE(c.path);
    const ProcessResult r = run_flow_with({"--report", c.path});
    EXPECT_EQ(expect_usage_error(r), "runner-host: cannot write the report '" + c.path + "': it is " + c.kind +
                                         "; only a regular file is written");
  }
  EXPECT_EQ(read_file(dir.file("target.txt")), "precious");
  EXPECT_TRUE(std::filesystem::is_fifo(dir.file("fifo.json")));
}

TEST(CliOutputFiles, ReportIgnoresAPlantedTemporaryAndLeavesNoneBehind) {
  TempDir dir;
  write_file(dir.file("target.txt"), "precious");
  // The name the report's temporary file used to have.
  std::filesystem::create_symlink(dir.file("target.txt"), dir.file("r.json.tmp"));
  const ProcessResult r = run_flow_with({"--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file(dir.file("target.txt")), "precious");
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("schema"), 1);
  EXPECT_EQ(entries_of(dir.path()), (std::vector<std::string>{"r.json", "r.json.tmp", "target.txt"}));
}

TEST(CliOutputFiles, ReportReplacesAnOlderReport) {
  TempDir dir;
  write_file(dir.file("r.json"), "old");
  const ProcessResult r = run_flow_with({"--report", dir.file("r.json")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(parse_json_file(dir.file("r.json")).at("schema"), 1);
  EXPECT_EQ(entries_of(dir.path()), (std::vector<std::string>{"r.json"}));
}

TEST(CliOutputFiles, ReportInADirectoryThatCannotBeWrittenIsRefusedBeforeRunning) {
  const ProcessResult r = run_flow_with({"--report", "/proc/no-such-dir/r.json"});
  EXPECT_THAT(expect_usage_error(r), HasSubstr("runner-host: cannot write the report '/proc/no-such-dir/r.json': "
                                               "cannot create files in '/proc/no-such-dir'"));
}

TEST(CliOutputFiles, EventsRefuseSymlinksAndFifosWithoutBlocking) {
  TempDir dir;
  write_file(dir.file("target.txt"), "precious");
  std::filesystem::create_symlink(dir.file("target.txt"), dir.file("link.jsonl"));
  ASSERT_EQ(mkfifo(dir.file("fifo.jsonl").c_str(), 0644), 0);
  EXPECT_EQ(expect_usage_error(run_flow_with({"--events", dir.file("link.jsonl")})),
            "runner-host: cannot write the events file '" + dir.file("link.jsonl") +
                "': it is a symbolic link; only a regular file is written");
  EXPECT_EQ(expect_usage_error(run_flow_with({"--events", dir.file("fifo.jsonl")})),
            "runner-host: cannot write the events file '" + dir.file("fifo.jsonl") +
                "': it is a FIFO; only a regular file is written");
  EXPECT_EQ(read_file(dir.file("target.txt")), "precious");
}

// A full disk, made small: a file-size limit (in 512-byte blocks) with SIGXFSZ ignored, so
// writes past it fail with EFBIG as they would with ENOSPC.
TEST(CliOutputFiles, LostEventLinesAreCountedAndTheExitStatusSaysSo) {
  TempDir dir;
  ProcessOptions options;
  options.timeout_seconds = 30;
  const ProcessResult r = run_process(
      {"/bin/sh", "-c", "ulimit -f 2; trap '' XFSZ; exec \"$@\"", "sh", kHost, "--plugin", kHazards, "--flow", "many",
       "--params", R"({"runs": 200})", "--runner", "sequential", "--events", dir.file("e.jsonl"), "--no-store"},
      options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, ::testing::MatchesRegex(".*runner-host: [0-9]+ event line\\(s\\) could not be written to the "
                                             "events file '" +
                                             dir.file("e.jsonl") + "': File too large\n.*"));
  EXPECT_THAT(r.out, HasSubstr("200 task runs: 200 Completed"));  // the runs themselves finished
}

}  // namespace
