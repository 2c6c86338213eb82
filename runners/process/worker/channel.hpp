// The worker's end of its socket to the host: whole frames out, whole frames in. A worker
// has one thread, so reads block it; a read that finds the host gone ends the worker (the
// host is the only reason it exists).
#pragma once

#include "wire.hpp"

#include <cstdint>
#include <string>

namespace rh::process_worker {

// The socket to the host: the runner places it at this descriptor when it spawns a worker.
inline constexpr int kSocketFd = 3;

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}

  // Sends one frame (length prefix included). Exits the worker if the host is gone.
  void send(const std::string& frame);
  // The next payload, blocking until it is complete. Exits the worker on end of file or on a
  // frame the host should never send (over the size limit).
  std::string receive();
  // The next payload if one is complete without blocking.
  bool try_receive(std::string* payload);

 private:
  // Reads what is there (blocking or not) into the buffer; false when nothing was.
  bool fill(bool block);

  int fd_;
  wire::FrameBuffer frames_;
};

// Ends the worker at once: the host broke the protocol or went away.
[[noreturn]] void host_gone(const char* why);

}  // namespace rh::process_worker
