#include "worker_process.hpp"

#include "worker_protocol.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

extern char** environ;

namespace rh::process_runner {
namespace {

// Descriptors above the three standard ones and the worker's socket slot, close-on-exec:
// a dup2 onto the child's slot then clears the flag for the child alone.
int park(int fd) {
  const int parked = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  const int saved = errno;
  close(fd);
  errno = saved;
  return parked;
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) +
           (abbrev != nullptr ? " (SIG" + std::string(abbrev) + ")" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

WorkerProcess::WorkerProcess(const std::string& program, std::uint32_t index) : index_(index) {
  int sockets[2];
  int out[2];
  int err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    throw std::runtime_error(errno_text("socketpair"));
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    const std::string why = errno_text("pipe");
    close(sockets[0]);
    close(sockets[1]);
    throw std::runtime_error(why);
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    const std::string why = errno_text("pipe");
    for (int fd : {sockets[0], sockets[1], out[0], out[1]}) close(fd);
    throw std::runtime_error(why);
  }
  socket_ = sockets[0];
  out_ = out[0];
  err_ = err[0];
  const int child_socket = park(sockets[1]);
  const int child_out = park(out[1]);
  const int child_err = park(err[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, child_err, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, child_socket, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group: the terminal's Ctrl-C reaches the host, which decides.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const std::string parent = std::to_string(getpid());
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(parent.c_str()), nullptr};
  const int failed = posix_spawn(&pid_, program.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (int fd : {child_socket, child_out, child_err}) close(fd);
  if (failed != 0) {
    pid_ = -1;
    close_fds();
    throw std::runtime_error("could not start the worker program '" + program + "': " + std::strerror(failed));
  }
  name_ = "worker " + std::to_string(index_) + " (pid " + std::to_string(pid_) + ")";
  for (int fd : {out_, err_}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

WorkerProcess::~WorkerProcess() {
  if (running()) kill_now();
  close_fds();
}

void WorkerProcess::close_fds() {
  for (int* fd : {&socket_, &out_, &err_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

bool WorkerProcess::send(const std::string& frame) {
  if (socket_ < 0) return false;
  std::size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t n = ::send(socket_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool WorkerProcess::read_socket() {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(socket_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      frames_.feed(buffer, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buffer) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

bool WorkerProcess::read_output(int fd, const LineSink& line) {
  if (fd < 0) return false;
  const bool from_stderr = fd == err_;
  std::string& pending = from_stderr ? err_line_ : out_line_;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
        line(std::string_view(pending).substr(start, end - start), from_stderr);
      }
      pending.erase(0, start);
      // A line longer than this is cut: a task printing without newlines cannot grow it.
      if (pending.size() > 64 * 1024) {
        line(pending, from_stderr);
        pending.clear();
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (!pending.empty()) line(pending, from_stderr);
    pending.clear();
    close(fd);
    (from_stderr ? err_ : out_) = -1;
    return false;
  }
}

void WorkerProcess::drain_output(const LineSink& line) {
  read_output(out_, line);
  read_output(err_, line);
}

bool WorkerProcess::reap(int options) {
  if (reaped_ || pid_ <= 0) return true;
  for (;;) {
    const pid_t done = waitpid(pid_, &status_, options);
    if (done == pid_) {
      reaped_ = true;
      ending_ = describe_exit(status_);
      return true;
    }
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) {  // not our child any more (someone else reaped it)
      reaped_ = true;
      ending_ = "ended (its exit status was collected elsewhere)";
      return true;
    }
    return false;  // WNOHANG: still running
  }
}

const std::string& WorkerProcess::end(double grace_seconds) {
  if (!reap(WNOHANG)) {
    const double until = monotonic_seconds() + grace_seconds;
    while (!reap(WNOHANG) && monotonic_seconds() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      reap(0);
    }
  }
  if (socket_ >= 0) {
    close(socket_);
    socket_ = -1;
  }
  return ending_;
}

const std::string& WorkerProcess::kill_now() {
  if (!reaped_ && pid_ > 0) ::kill(pid_, SIGKILL);
  return end(0);
}

void WorkerProcess::retire(double grace_seconds) {
  if (reaped_) return;
  send(wire::Writer().u8(static_cast<std::uint8_t>(worker_protocol::Type::Shutdown)).finish());
  end(grace_seconds);
}

}  // namespace rh::process_runner
