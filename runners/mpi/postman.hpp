// The one thread of a rank that makes MPI calls, and what other threads hand it: items
// posted for a rank are batched (one MPI message per rank per pass), sent without waiting
// (MPI_Isend), and each batch that arrived is handed to the owner item by item. MPI offers
// no way to sleep until either a message arrives or another thread posts one, so the owner
// polls between passes, sleeping longer while nothing happens (up to kMaxNap) and waking at
// once when an item is posted.
#pragma once

#include "envelope.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>

namespace rh::mpi_runner {

class Postman {
 public:
  // The longest a pass waits while nothing happens: the latency of a message to an idle rank.
  static constexpr std::chrono::microseconds kMaxNap{200};

  // Any thread: queues an item for `rank`.
  void post(int rank, Kind kind, std::uint32_t slot, std::string_view payload);

  // The owner: sends what was posted, receives what arrived and hands each item to
  // deliver(source, item). A batch that is not well formed goes to malformed(source, why).
  // Returns whether anything was sent or received.
  using Deliver = std::function<void(int source, const Item& item)>;
  using Malformed = std::function<void(int source, const std::string& why)>;
  bool pass(const Deliver& deliver, const Malformed& malformed);

  // The owner, after a pass that did nothing: waits a little longer each time, up to
  // kMaxNap, or until an item is posted.
  void nap();

  // The owner, at the end: sends what is posted and waits (at most `limit`) for the sends
  // to ranks other than `skip` to complete.
  void flush(std::chrono::milliseconds limit, const std::function<bool(int rank)>& skip);

  // Sends in flight, for messages (a rank that takes none may be gone).
  std::size_t in_flight() const noexcept { return sends_.size(); }

 private:
  bool send_posted();
  void reap_sends();

  std::mutex mutex_;
  std::condition_variable posted_;
  std::map<int, std::string> outbox_;  // by rank: the batch being built
  bool any_posted_ = false;

  struct Send {
    int rank;
    std::string batch;
    void* request;  // MPI_Request, kept opaque here
  };
  std::list<Send> sends_;  // owner only
  std::chrono::microseconds nap_{0};
};

}  // namespace rh::mpi_runner
