// One worker process as the host sees it: spawned (posix_spawn of runner-host-worker, never a
// fork of this multi-threaded host) with a socketpair at its descriptor 3 and pipes for its
// stdout and stderr, in a process group of its own so that a terminal's Ctrl-C reaches the
// host only. Whoever ends it reaps it: no zombie outlives a WorkerProcess.
#pragma once

#include "wire.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace rh::process_runner {

class WorkerProcess {
 public:
  // Spawns `program`. Throws std::runtime_error naming it and why.
  WorkerProcess(const std::string& program, std::uint32_t index);
  // Kills and reaps it if nobody did.
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // "worker 2 (pid 4242)", for messages.
  const std::string& name() const noexcept { return name_; }
  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0 && !reaped_; }

  // false when the worker is gone (its end of the socket is closed).
  bool send(const std::string& frame);

  // What poll() should watch, and what to do when one is readable.
  int socket_fd() const noexcept { return socket_; }
  int stdout_fd() const noexcept { return out_; }
  int stderr_fd() const noexcept { return err_; }
  // Reads what the socket holds into the frame buffer; false at end of file or an error.
  bool read_socket();
  // The next complete message. Throws wire::WireError for an oversized frame.
  bool next_message(std::string* payload) { return frames_.next(payload); }
  // Reads the stdout or stderr pipe and hands each complete line to `line` (and, at end of
  // file, the unfinished one). false once the pipe is closed.
  using LineSink = std::function<void(std::string_view line, bool from_stderr)>;
  bool read_output(int fd, const LineSink& line);
  // Reads both pipes until neither has anything more right now.
  void drain_output(const LineSink& line);

  // Waits (for at most `grace_seconds`) for the worker to exit, SIGKILLs it if it has not,
  // reaps it, and says how it ended: "exited with status 3", "was killed by signal 11
  // (SIGSEGV)". After a kill of ours, that is what it says. Idempotent.
  const std::string& end(double grace_seconds);
  // SIGKILL now, then as end().
  const std::string& kill_now();
  // Shutdown message, then end(grace).
  void retire(double grace_seconds);
  // Set when the worker told us it ran out of memory.
  void note_out_of_memory() noexcept { out_of_memory_ = true; }
  bool ran_out_of_memory() const noexcept { return out_of_memory_; }

 private:
  void close_fds();
  bool reap(int options);

  std::uint32_t index_;
  std::string name_;
  pid_t pid_ = -1;
  int socket_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  bool out_of_memory_ = false;
  int status_ = 0;
  std::string ending_;
  wire::FrameBuffer frames_;
  std::string out_line_, err_line_;
};

// How a wait status reads: "exited with status 3", "was killed by signal 11 (SIGSEGV)".
std::string describe_exit(int status);

}  // namespace rh::process_runner
