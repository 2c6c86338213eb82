// The progress line and the end-of-run table on a terminal (a pseudo-terminal the test
// owns): what is drawn while runs run, what the screen shows once it ended, when the line is
// off, and colours (NO_COLOR respected).
#include "cli_support.hpp"
#include "terminal_run.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace {

using namespace rh::testing;
using ::testing::HasSubstr;
using ::testing::Not;

// Two naps of 0.6 s and three runs waiting for them: long enough for several drawings.
std::vector<std::string> sleepers_args(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--plugin", kSleepers,  "--flow",
                                   "sleepers", "--params", R"({"naps": 2, "waiters": 3, "seconds": 0.6})",
                                   "--runner", "fiber"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(CliProgress, IsDrawnOnATerminalWhileRunsRunAndErasedAtTheEnd) {
  const TerminalResult r = run_host_in_terminal(sleepers_args());
  ASSERT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> drawings = progress_drawings(r.output);
  ASSERT_FALSE(drawings.empty()) << r.output;
  // "0.3 s  0/5 runs  2 Running  3 Pending  0 runs/s  longest running: nap-1a2 0.3 s"
  const std::regex shape(R"(^\d+\.\d s  \d+/\d+ runs  .* runs/s( .*)?$)");
  bool saw_running = false;
  for (const std::string& drawn : drawings) {
    EXPECT_TRUE(std::regex_match(drawn, shape)) << drawn;
    EXPECT_LE(drawn.size(), 119u) << drawn;  // never as wide as the terminal: it would wrap
    if (drawn.find("2 Running") != std::string::npos && drawn.find("longest running: nap-") != std::string::npos) {
      saw_running = true;
      EXPECT_THAT(drawn, HasSubstr("/5 runs")) << drawn;  // the naps and their waiters were seen
    }
  }
  EXPECT_TRUE(saw_running) << r.output;
  // At most ten drawings a second: the last one's elapsed time bounds their number.
  const double last_elapsed = std::stod(drawings.back());
  EXPECT_LE(static_cast<double>(drawings.size()), last_elapsed * 10 + 2) << r.output;
  // What stays on the screen: the log lines, whole, then the table; no progress line.
  const Screen screen(r.output);
  for (const std::string& line : screen.lines()) EXPECT_THAT(line, Not(HasSubstr("runs/s"))) << screen.text();
  int rested = 0;
  for (const std::string& line : screen.lines()) {
    if (line.find("rested") == std::string::npos || line.find("[info]") == std::string::npos) continue;
    ++rested;
    EXPECT_TRUE(std::regex_match(line, std::regex(R"(^\[[0-9:.]+\] \[info\] \[nap-[0-9a-f]{3}\] nap \d rested$)")))
        << line;
  }
  EXPECT_EQ(rested, 2) << screen.text();
  EXPECT_THAT(screen.text(), HasSubstr("5 task runs: 5 Completed")) << screen.text();
  EXPECT_THAT(screen.text(), HasSubstr("flow sleepers (")) << screen.text();
}

TEST(CliProgress, IsOffWithTheFlagUnderCiWithJsonLogsAndWhenStderrIsNoTerminal) {
  for (const auto& [extra, env] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{"--no-progress"}, {}}, {{}, {"CI=true"}}, {{"--log-format", "json"}, {}}, {{}, {"TERM=dumb"}}}) {
    const TerminalResult r = run_host_in_terminal(sleepers_args(extra), env);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(progress_drawings(r.output), ::testing::IsEmpty()) << (extra.empty() ? env[0] : extra[0]);
    EXPECT_THAT(r.output, Not(HasSubstr("runs/s")));
  }
  // Through pipes (the usual run_host): nothing on either stream but lines.
  const ProcessResult piped = run_host(sleepers_args());
  EXPECT_EQ(piped.exit_code, 0) << describe(piped);
  EXPECT_THAT(piped.err, Not(HasSubstr("\r")));
  EXPECT_THAT(piped.err + piped.out, Not(HasSubstr("\033[")));
}

TEST(CliProgress, TheTableColoursStatesOnATerminalUnlessNoColor) {
  const std::vector<std::string> args = {"--plugin", kTasks, "--flow", "chatty_flow", "--no-progress"};
  const TerminalResult colored = run_host_in_terminal(args);
  EXPECT_EQ(colored.exit_code, 1) << colored.output;
  EXPECT_THAT(colored.output, HasSubstr("\033[32mCompleted"));
  EXPECT_THAT(colored.output, HasSubstr("\033[31mFailed"));
  const TerminalResult plain = run_host_in_terminal(args, {"NO_COLOR=1"});
  EXPECT_EQ(plain.exit_code, 1) << plain.output;
  EXPECT_THAT(plain.output, Not(HasSubstr("\033[3")));
  EXPECT_THAT(plain.output, Not(HasSubstr("\033[9")));
  EXPECT_THAT(Screen(plain.output).text(), HasSubstr("2 task runs: 1 Completed, 1 Failed"));
}

}  // namespace
