// The worker's end of its link to the host: whole frames out, whole frames in. A worker
// has one thread, so reads block it; a read that finds the host gone ends the worker (the
// host is the only reason it exists). A worker process's link is its socket; a worker slot
// of an MPI rank reads a mailbox its rank's messages fill (runners/mpi).
#pragma once

#include "wire.hpp"

#include <cstdint>
#include <string>

namespace rh::process_worker {

// The socket to the host: the runner places it at this descriptor when it spawns a worker.
inline constexpr int kSocketFd = 3;

class Channel {
 public:
  virtual ~Channel() = default;
  // Sends one frame (length prefix included). Exits the worker if the host is gone.
  virtual void send(const std::string& frame) = 0;
  // The next payload, blocking until it is complete. Exits the worker when the host is gone
  // or sent a frame it never should (over the size limit).
  virtual std::string receive() = 0;
  // The next payload if one is complete without blocking.
  virtual bool try_receive(std::string* payload) = 0;
};

class SocketChannel final : public Channel {
 public:
  explicit SocketChannel(int fd) : fd_(fd) {}

  void send(const std::string& frame) override;
  std::string receive() override;
  bool try_receive(std::string* payload) override;

 private:
  // Reads what is there (blocking or not) into the buffer; false when nothing was.
  bool fill(bool block);

  int fd_;
  wire::FrameBuffer frames_;
};

// Ends the worker at once: the host broke the protocol or went away.
[[noreturn]] void host_gone(const char* why);

}  // namespace rh::process_worker
