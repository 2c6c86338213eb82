// Runs runner-host on a pseudo-terminal (forkpty), as a user at a terminal would, and keeps
// everything it wrote there; Screen replays that output as a terminal shows it (carriage
// returns, erase-to-end-of-line, colours dropped) so tests check what the user ends up seeing.
#pragma once

#include "cli_support.hpp"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace rh::testing {

struct TerminalResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string output;  // every byte written to the terminal, stdout and stderr together
};

// runner-host with `args` on a terminal `columns` wide. `env`: "NAME=value" entries set in the
// child; CI and NO_COLOR are removed first (a test under CI must still see the terminal
// behaviour), TERM is xterm-256color.
inline TerminalResult run_host_in_terminal(const std::vector<std::string>& args,
                                           const std::vector<std::string>& env = {}, unsigned short columns = 120,
                                           double timeout_seconds = 60) {
  winsize size{};
  size.ws_col = columns;
  size.ws_row = 40;
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    ::unsetenv("CI");
    ::unsetenv("NO_COLOR");
    ::setenv("TERM", "xterm-256color", 1);
    ::setenv("RUNNER_HOST_HOME", test_home().c_str(), 1);
    for (const std::string& entry : env) ::putenv(const_cast<char*>(entry.c_str()));
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kHost.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(kHost.c_str(), argv.data());
    ::_exit(127);
  }
  TerminalResult result;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  char buffer[4096];
  for (;;) {
    pollfd fd{master, POLLIN, 0};
    const int ready = ::poll(&fd, 1, 50);
    if (ready > 0) {
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n > 0) {
        result.output.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EIO: the child and every holder of the terminal are gone
    }
    if (std::chrono::steady_clock::now() > until) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
  }
  ::close(master);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// What a terminal shows after `output`: its lines, each as the last write left it.
class Screen {
 public:
  explicit Screen(const std::string& output) {
    lines_.emplace_back();
    std::size_t col = 0;
    for (std::size_t i = 0; i < output.size(); ++i) {
      const char c = output[i];
      if (c == '\033' && i + 1 < output.size() && output[i + 1] == '[') {
        std::size_t j = i + 2;
        while (j < output.size() && !(output[j] >= '@' && output[j] <= '~')) ++j;
        if (j < output.size() && output[j] == 'K') lines_.back().resize(std::min(col, lines_.back().size()));
        i = j;  // colours and the rest take no room
        continue;
      }
      if (c == '\r') {
        col = 0;
      } else if (c == '\n') {
        lines_.emplace_back();
        col = 0;
      } else {
        std::string& line = lines_.back();
        if (col < line.size()) {
          line[col] = c;
        } else {
          line.push_back(c);
        }
        ++col;
      }
    }
    while (!lines_.empty() && lines_.back().empty()) lines_.pop_back();
  }
  const std::vector<std::string>& lines() const { return lines_; }
  std::string text() const {
    std::string all;
    for (const std::string& line : lines_) all += line + "\n";
    return all;
  }

 private:
  std::vector<std::string> lines_;
};

// The progress lines drawn in `output`: the text between a carriage return and the
// erase-to-end-of-line that ends each drawing, colours removed.
inline std::vector<std::string> progress_drawings(const std::string& output) {
  std::vector<std::string> drawings;
  std::size_t at = 0;
  while ((at = output.find('\r', at)) != std::string::npos) {
    const std::size_t end = output.find("\033[K", at);
    const std::size_t newline = output.find('\n', at);
    if (end == std::string::npos) break;
    if (newline != std::string::npos && newline < end) {
      at = newline;
      continue;
    }
    const std::string drawn = Screen(output.substr(at + 1, end - at - 1)).text();
    if (!drawn.empty()) drawings.push_back(drawn.substr(0, drawn.size() - 1));
    at = end;
  }
  return drawings;
}

}  // namespace rh::testing
