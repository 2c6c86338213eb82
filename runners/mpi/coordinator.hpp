// Rank 0's side of the job: the worker ranks and their slots, the MPI thread that carries
// their frames (a Postman), and the watch on their heartbeats. A SlotLink is one worker
// slot as rank 0's host threads see it: a mailbox of what the slot sent, whose messages
// belong to the outermost attempts sent to it in order (`turns`: with prefetch, the next
// attempt is on its way while one runs).
#pragma once

#include "attempt_host.hpp"
#include "mpi_options.hpp"
#include "postman.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rh::mpi_runner {

// First byte of an inbox entry that says the slot's worker process died (the rest: why),
// in order with the frames it sent before; no worker-protocol type is 0.
inline constexpr char kWorkerDiedMark = '\0';

struct SlotLink {
  int rank = 0;
  std::uint32_t slot = 0;
  std::string name;  // "rank 2 (node7, pid 4242) slot 1"
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> inbox;
  std::deque<std::uint64_t> turns;  // tickets of the outermost attempts sent, oldest first
  std::uint64_t next_ticket = 1;
  std::string lost;           // why, once its rank is lost
  remote::AttemptHost calls;  // used by the thread whose turn it is
  std::string log_prefix;     // "[rank 2] "
};

struct WorkerRank {
  int rank = 0;
  std::string name;
  std::uint32_t slots = 0;
  std::chrono::steady_clock::time_point last_heard;
  bool lost = false;
};

// The worker ranks' Hello, gathered while rank 0 takes its role (before the runner exists).
struct Roster {
  std::vector<WorkerRank> ranks;
};
Roster& the_roster();

// Waits (at most `timeout_seconds`) for every worker rank's Hello. Throws
// std::runtime_error naming the ranks that did not say it.
void gather_roster(double timeout_seconds);

// Tells every worker rank that the job is over, with no runner (rank 0 failed before one
// started). Then finalises MPI.
void dismiss_workers();

class Coordinator {
 public:
  using Log = std::function<void(std::uint32_t level, const std::string& message)>;
  Coordinator(const MpiOptions& options, Log log);
  ~Coordinator();

  // Starts the MPI thread and brings up every slot (Init, Ready). Throws std::runtime_error
  // naming the slot that could not load its libraries.
  void start(const std::vector<std::string>& libraries, const std::string& host_version);
  // Tells the ranks the job is over and stops the MPI thread.
  void stop();

  std::vector<std::unique_ptr<SlotLink>>& links() noexcept { return links_; }
  void post(const SlotLink& link, Kind kind, const std::string& payload) {
    postman_.post(link.rank, kind, link.slot, payload);
  }
  // A rank that broke the protocol: given up on as if it were lost.
  void give_up_rank(int rank, const std::string& why);

 private:
  void serve();
  void deliver(int source, const Item& item);
  void lose_rank(WorkerRank& rank, const std::string& why);
  SlotLink* link_of(int rank, std::uint32_t slot);

  const MpiOptions options_;
  Log log_;
  Postman postman_;
  std::vector<WorkerRank> ranks_;  // index: rank - 1
  std::vector<std::unique_ptr<SlotLink>> links_;
  std::vector<std::size_t> first_link_;  // index: rank - 1
  std::mutex ranks_mutex_;               // ranks_[].lost, taken by give_up_rank off the MPI thread
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rh::mpi_runner
