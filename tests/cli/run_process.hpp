// Runs a program as a child process (posix_spawn, no shell) and captures its stdout and
// stderr separately, with an optional hang guard and optional actions taken while it runs
// (e.g. send SIGINT once it printed a marker). For the CLI integration tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace rh::testing {

enum class Stream { out, err };

// When `marker` has appeared on `stream` (searched after the previous step's match on the
// same stream), run `action` (if any), then send `signal` to the child (if not 0), `copies`
// times back to back (as `timeout` does: to the process, then to its group).
struct ProcessStep {
  Stream stream = Stream::out;
  std::string marker;
  int signal = 0;
  int copies = 1;
  std::function<void()> action;
};

struct ProcessOptions {
  // Hang guard: the child is killed with SIGKILL after this long. Not a timing assertion.
  double timeout_seconds = 60;
  // stdin is /dev/null by default; with close_stdin the child starts with fd 0 closed.
  bool close_stdin = false;
  std::string cwd;  // empty: inherit
  std::vector<ProcessStep> steps;
  // "NAME=value" entries that replace (or add to) the test process's environment.
  std::vector<std::string> env;
};

struct ProcessResult {
  int exit_code = -1;   // the exit status, or -1 when the child was killed by a signal
  int term_signal = 0;  // the signal that killed it, or 0
  bool timed_out = false;
  std::size_t steps_done = 0;  // how many steps' markers were seen
  std::string out;
  std::string err;
};

namespace detail {

inline void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(rc));
}

// ASan's runtime prints one notice the first time a process switches stacks with swapcontext,
// which oneTBB does to suspend a task: "==PID==WARNING: ASan doesn't fully support
// makecontext/swapcontext functions ...". It is no report (the process goes on), and the
// suites check the host's stderr line by line, so ASan builds take it out (docs/sanitizers.md).
inline void drop_asan_swapcontext_notice([[maybe_unused]] std::string& err) {
#if defined(__SANITIZE_ADDRESS__)
  const std::string notice = "WARNING: ASan doesn't fully support makecontext/swapcontext functions";
  const std::size_t at = err.find(notice);
  if (at == std::string::npos) return;
  const std::size_t newline_before = at == 0 ? std::string::npos : err.rfind('\n', at - 1);
  const std::size_t line_start = newline_before == std::string::npos ? 0 : newline_before + 1;
  const std::size_t end = err.find('\n', at);
  err.erase(line_start, end == std::string::npos ? std::string::npos : end + 1 - line_start);
#endif
}

}  // namespace detail

inline ProcessResult run_process(const std::vector<std::string>& args, const ProcessOptions& options = {}) {
  if (args.empty()) throw std::invalid_argument("run_process: no program");
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }

  posix_spawn_file_actions_t actions;
  detail::check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  if (options.close_stdin) {
    detail::check(posix_spawn_file_actions_addclose(&actions, STDIN_FILENO), "addclose");
  } else {
    detail::check(posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0), "addopen");
  }
  detail::check(posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO), "adddup2");
  detail::check(posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO), "adddup2");
  if (!options.cwd.empty()) {
    detail::check(posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str()), "addchdir");
  }

  // The child starts with no blocked signals and default dispositions, whatever the test
  // process has (the host installs its own handling).
  posix_spawnattr_t attr;
  detail::check(posix_spawnattr_init(&attr), "posix_spawnattr_init");
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  detail::check(posix_spawnattr_setsigmask(&attr, &empty), "setsigmask");
  detail::check(posix_spawnattr_setsigdefault(&attr, &defaults), "setsigdefault");
  detail::check(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "setflags");

  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // The test's environment with options.env in place of the same names.
  std::vector<char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view current(*entry);
    const std::string_view name = current.substr(0, current.find('='));
    bool replaced = false;
    for (const std::string& given : options.env) replaced |= given.compare(0, given.find('='), name) == 0;
    if (!replaced) envp.push_back(*entry);
  }
  for (const std::string& given : options.env) envp.push_back(const_cast<char*>(given.c_str()));
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0].c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("posix_spawn " + args[0] + ": " + std::strerror(spawned));
  }

  ProcessResult result;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(options.timeout_seconds));
  std::size_t search_from[2] = {0, 0};
  auto text_of = [&](Stream s) -> std::string& { return s == Stream::out ? result.out : result.err; };
  auto run_due_steps = [&] {
    while (result.steps_done < options.steps.size()) {
      const ProcessStep& step = options.steps[result.steps_done];
      const std::string& text = text_of(step.stream);
      std::size_t& from = search_from[step.stream == Stream::out ? 0 : 1];
      const std::size_t at = text.find(step.marker, from);
      if (at == std::string::npos) return;
      from = at + step.marker.size();
      ++result.steps_done;
      if (step.action) step.action();
      for (int i = 0; step.signal != 0 && i < step.copies; ++i) kill(pid, step.signal);
    }
  };

  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  bool open[2] = {true, true};
  char buffer[4096];
  while (open[0] || open[1]) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !result.timed_out) {
      result.timed_out = true;
      kill(pid, SIGKILL);
    }
    for (int i = 0; i < 2; ++i) fds[i].fd = open[i] ? (i == 0 ? out_pipe[0] : err_pipe[0]) : -1;
    const int timeout_ms = result.timed_out ? 1000 : static_cast<int>(std::min<long long>(left.count(), 1000));
    const int ready = poll(fds, 2, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        open[i] = false;
      }
    }
    if (!result.timed_out) run_due_steps();
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  detail::drop_asan_swapcontext_notice(result.err);

  // Both pipes are closed; the child normally exits now. Keep the hang guard anyway.
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    if (!result.timed_out && std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      continue;
    }
    if (!result.timed_out) usleep(5000);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace rh::testing
