// Shared helpers of the CLI tests: where the binary and the plugins are, temporary
// directories, files, lines, and running runner-host.
#pragma once

#include "run_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace rh::testing {

using nlohmann::json;

inline const std::string kHost = RH_HOST_BINARY;
inline const std::string kDemo = std::string(RH_BIN_DIR) + "/../lib/libdemo.so";
inline const std::string kTasks = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_tasks.so";
inline const std::string kNoFlow = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_noflow.so";
inline const std::string kSleepers = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_sleepers.so";
inline const std::string kHazards = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_hazards.so";
inline const std::string kStoreTasks = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_store_tasks.so";
inline const std::string kReportTasks = std::string(RH_TEST_PLUGIN_DIR) + "/libcli_report_tasks.so";

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rh-cli-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of text, without their '\n'; a last line without '\n' is kept.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline std::string describe(const ProcessResult& r) {
  std::ostringstream s;
  s << "exit " << r.exit_code << (r.term_signal != 0 ? " signal " + std::to_string(r.term_signal) : "")
    << (r.timed_out ? " (TIMED OUT)" : "") << "\n--- stdout:\n"
    << r.out << "--- stderr:\n"
    << r.err << "---";
  return s.str();
}

// The RUNNER_HOST_HOME of every runner-host this test process starts, so that none of them
// touches the real home (its default store): a folder of this process, removed at its exit.
inline const std::string& test_home() {
  struct Home {
    std::string path =
        (std::filesystem::temp_directory_path() / ("rh-test-home-" + std::to_string(::getpid()))).string();
    ~Home() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Home home;
  return home.path;
}

// runner-host with these arguments.
inline ProcessResult run_host(const std::vector<std::string>& args, ProcessOptions options = {}) {
  bool home_given = false;
  for (const std::string& entry : options.env) home_given |= entry.rfind("RUNNER_HOST_HOME=", 0) == 0;
  if (!home_given) options.env.push_back("RUNNER_HOST_HOME=" + test_home());
  // Built front to back: GCC 12 warns falsely (-Warray-bounds) about inserting at the
  // front of a vector made from a braced list.
  std::vector<std::string> command;
  command.reserve(args.size() + 1);
  command.push_back(kHost);
  command.insert(command.end(), args.begin(), args.end());
  return run_process(command, options);
}

// A usage, config or plugin error: exit 2, nothing on stdout, exactly one line on stderr.
// Returns that line.
inline std::string expect_usage_error(const ProcessResult& r) {
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  const std::vector<std::string> lines = lines_of(r.err);
  EXPECT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << "stderr must end with a newline\n" << describe(r);
  return lines.empty() ? std::string() : lines.front();
}

inline json parse_json_file(const std::string& path) { return json::parse(read_file(path)); }

}  // namespace rh::testing
