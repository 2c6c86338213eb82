#include "channel.hpp"

#include "worker_protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace rh::process_worker {

void host_gone(const char* why) {
  // Nothing to tell anyone: the host reads our exit status.
  std::fprintf(stderr, "runner-host worker %d: %s\n", static_cast<int>(getpid()), why);
  std::fflush(stderr);
  std::_Exit(worker_protocol::kExitHostGone);
}

void SocketChannel::send(const std::string& frame) {
  std::size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) host_gone("the host closed the connection");
    sent += static_cast<std::size_t>(n);
  }
}

bool SocketChannel::fill(bool block) {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, block ? 0 : MSG_DONTWAIT);
    if (n > 0) {
      frames_.feed(buffer, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    // End of file: the host shut us down or died. Either way there is nothing left to do.
    if (n == 0) std::_Exit(0);
    host_gone("reading from the host failed");
  }
}

std::string SocketChannel::receive() {
  std::string payload;
  try {
    while (!frames_.next(&payload)) fill(true);
  } catch (const wire::WireError& e) {
    host_gone(e.what());
  }
  return payload;
}

bool SocketChannel::try_receive(std::string* payload) {
  try {
    if (frames_.next(payload)) return true;
    return fill(false) && frames_.next(payload);
  } catch (const wire::WireError& e) {
    host_gone(e.what());
  }
}

}  // namespace rh::process_worker
