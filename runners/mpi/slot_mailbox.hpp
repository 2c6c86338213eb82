// One worker slot's link to rank 0, as the slot's worker sees it (worker_rank.hpp): frames
// out through the rank's postman, frames in from a mailbox the rank's MPI thread fills.
// `depth` counts the attempts the slot was given and has not finished; an outermost Run sent
// ahead (prefetch) waits in `ahead` until it is 0. A worker process that runs the slot's
// attempts (isolate) waits on wake_fd() beside its socket.
#pragma once

#include "envelope.hpp"
#include "postman.hpp"
#include "process/worker/channel.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace rh::mpi_runner {

class SlotMailbox final : public process_worker::Channel {
 public:
  SlotMailbox(Postman& postman, std::uint32_t slot)
      : postman_(postman), slot_(slot), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~SlotMailbox() override {
    if (wake_ >= 0) close(wake_);
  }
  SlotMailbox(const SlotMailbox&) = delete;
  SlotMailbox& operator=(const SlotMailbox&) = delete;

  // The rank's MPI thread: an item rank 0 sent this slot.
  void deliver(Kind kind, std::string payload) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (is_run(payload)) translate_deadline(payload, false);
      if (kind == Kind::Run && depth_ > 0) {
        ahead_.push_back(std::move(payload));
        return;
      }
      if (is_run(payload)) ++depth_;
      inbox_.push_back(std::move(payload));
    }
    wake();
  }

  // A payload the slot's worker sent, on its way to rank 0.
  void forward(std::string_view sent) {
    std::string payload(sent);
    if (!sent.empty() && static_cast<worker_protocol::Type>(sent[0]) == worker_protocol::Type::Done) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (depth_ > 0 && --depth_ == 0) start_ahead_locked();
    }
    translate_deadline(payload, true);
    postman_.post(0, Kind::FromSlot, slot_, payload);
  }

  // The slot's worker process died: rank 0 ends what ran on it, and the next attempt sent
  // ahead goes to its replacement.
  void worker_died(const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      depth_ = 0;
      start_ahead_locked();
      // Post under the lock: rank 0 must see the death before any frame of the next attempt.
      postman_.post(0, Kind::SlotLost, slot_, why);
    }
    wake();
  }

  void send(const std::string& frame) override { forward(frame.substr(wire::kHeaderSize)); }

  std::string receive() override {
    std::unique_lock<std::mutex> lock(mutex_);
    arrived_.wait(lock, [this] { return !inbox_.empty(); });
    std::string payload = std::move(inbox_.front());
    inbox_.pop_front();
    return payload;
  }

  bool try_receive(std::string* payload) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (inbox_.empty()) return false;
    *payload = std::move(inbox_.front());
    inbox_.pop_front();
    return true;
  }

  // Readable when something arrived; read_wake() empties it.
  int wake_fd() const noexcept { return wake_; }
  void read_wake() const {
    eventfd_t ignored = 0;
    (void)eventfd_read(wake_, &ignored);
  }

 private:
  static bool is_run(const std::string& payload) {
    return !payload.empty() && static_cast<worker_protocol::Type>(payload[0]) == worker_protocol::Type::Run;
  }
  void start_ahead_locked() {
    if (ahead_.empty()) return;
    inbox_.push_back(std::move(ahead_.front()));
    ahead_.pop_front();
    ++depth_;
  }
  void wake() {
    arrived_.notify_one();
    if (wake_ >= 0) (void)eventfd_write(wake_, 1);
  }

  Postman& postman_;
  const std::uint32_t slot_;
  const int wake_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<std::string> inbox_;
  std::deque<std::string> ahead_;
  int depth_ = 0;
};

}  // namespace rh::mpi_runner
