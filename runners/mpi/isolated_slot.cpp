#include "isolated_slot.hpp"

#include "worker_process.hpp"
#include "worker_program.hpp"

#include <poll.h>

#include <cstdio>
#include <memory>
#include <string>

namespace rh::mpi_runner {
namespace {

using worker_protocol::Type;

std::string frame_of(const std::string& payload) {
  std::string frame(wire::kHeaderSize, '\0');
  for (std::size_t i = 0; i < wire::kHeaderSize; ++i) frame[i] = static_cast<char>((payload.size() >> (8 * i)) & 0xffu);
  return frame + payload;
}

Type type_of(const std::string& payload) {
  return payload.empty() ? Type{} : static_cast<Type>(static_cast<std::uint8_t>(payload[0]));
}

class Relay {
 public:
  Relay(SlotMailbox& mailbox, const MpiOptions& options, std::uint32_t index)
      : mailbox_(mailbox),
        program_(options.worker_program.empty() ? remote::default_worker_program() : options.worker_program),
        index_(index) {}

  void run() {
    for (;;) {
      pollfd fds[4] = {{mailbox_.wake_fd(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
      if (process_) {
        fds[1].fd = process_->socket_fd();
        fds[2].fd = process_->stdout_fd();
        fds[3].fd = process_->stderr_fd();
      }
      if (poll(fds, 4, 100) < 0) continue;  // EINTR
      mailbox_.read_wake();
      std::string payload;
      while (mailbox_.try_receive(&payload)) {
        if (!to_process(payload)) return;  // Shutdown
      }
      if (!process_) continue;
      if ((fds[2].revents | fds[3].revents) != 0) process_->drain_output(print);
      if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) from_process();
    }
  }

 private:
  static void print(std::string_view line, bool from_stderr) {
    std::fprintf(from_stderr ? stderr : stdout, "%.*s\n", static_cast<int>(line.size()), line.data());
  }

  void spawn() {
    process_ = std::make_unique<process_runner::WorkerProcess>(program_, index_);
    process_->send(frame_of(init_));
  }

  // false at Shutdown.
  bool to_process(const std::string& payload) {
    const Type type = type_of(payload);
    if (type == Type::Shutdown) {
      if (process_) process_->retire(1.0);
      return false;
    }
    if (type == Type::Init) {
      init_ = payload;  // every replacement gets it too; rank 0 waits for this first Ready
      if (process_) process_->kill_now();
      process_.reset();
    }
    if (!process_) {
      try {
        spawn();
        starting_ = type != Type::Init;
      } catch (const std::exception& e) {
        mailbox_.worker_died(std::string("could not start a worker process: ") + e.what());
        return true;
      }
      if (type == Type::Init) return true;
    }
    process_->send(frame_of(payload));  // a dead process is found by its socket
    return true;
  }

  void from_process() {
    const bool open = process_->read_socket();
    std::string payload;
    try {
      while (process_->next_message(&payload)) {
        if (starting_ && type_of(payload) == Type::Ready) {  // a replacement's: rank 0 knows the slot is ready
          starting_ = false;
          continue;
        }
        mailbox_.forward(payload);
      }
    } catch (const wire::WireError& e) {
      lose(std::string("sent a malformed message (") + e.what() + ")", true);
      return;
    }
    if (!open) {
      process_->drain_output(print);
      lose(process_->end(0), false);
    }
  }

  // The process is gone (or killed for garbage): its attempt ends Crashed; a new one is
  // started at once, for the next attempt.
  void lose(std::string why, bool kill) {  // by value: it may be the ending of process_ itself
    if (kill) process_->kill_now();
    const std::string name = process_->name();
    process_.reset();
    mailbox_.worker_died(name + " " + why);
    try {
      spawn();
      starting_ = true;
    } catch (const std::exception&) {
      process_.reset();  // the next attempt tries again, and fails with the reason
    }
  }

  SlotMailbox& mailbox_;
  const std::string program_;
  const std::uint32_t index_;
  std::string init_;
  std::unique_ptr<process_runner::WorkerProcess> process_;
  bool starting_ = false;  // a replacement's Ready is still to come
};

}  // namespace

void relay_to_worker_process(SlotMailbox& mailbox, const MpiOptions& options, std::uint32_t index) {
  Relay(mailbox, options, index).run();
}

}  // namespace rh::mpi_runner
