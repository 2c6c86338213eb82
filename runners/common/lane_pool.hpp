// The thread pool of a runner whose attempts run in other processes (the process runner's
// worker processes, the MPI runner's worker ranks): host threads run the work items, in the
// host, and an attempt among them borrows a lane (a worker) for itself and the attempts
// nested in it, so code that waits in the host (a flow gathering its runs) holds a thread
// but no lane. Host code that waits leaves queued work to the others and, when none is idle,
// starts one more thread for it; an attempt that waits (in its worker) runs queued work
// nested on its lane meanwhile, as the sequential runner does; when every lane is held by an
// attempt that waits, the runner may add one (extra_lane_locked). Waiting never deadlocks
// the pool below those caps. What it cannot do is suspend a wait (docs/runners.md).
#pragma once

#include <runner_host/runner.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rh::remote {

// What a lane answers instead of an RH_TASK_* code when its worker was lost in a way that
// lets the attempt be sent again elsewhere (an MPI rank declared lost): the pool retires the
// lane and executes the attempt on another. Never reaches the engine.
inline constexpr std::int32_t kSendElsewhere = -1;

class Lane {
 public:
  virtual ~Lane() = default;
  // Runs the attempt on this lane's worker (rh_remote_attempts.execute). `may_resend`: the
  // attempt is outermost and may be sent again elsewhere if the worker is lost.
  virtual std::int32_t execute(const rh_remote_attempt& attempt, bool may_resend) = 0;
  // Whether it can take attempts at all (a lane of a lost rank cannot).
  virtual bool usable() const { return true; }
};

class LanePool : public Runner {
 public:
  explicit LanePool(std::uint32_t workers) : workers_(workers) {}

  void start() override;
  void submit(rh_work_fn fn, void* arg) override;
  void shutdown() override;
  std::uint32_t concurrency() const override { return workers_; }
  std::uint32_t inline_depth() const override;
  rh_event* event_create() override;
  void event_set(rh_event* e) override;
  bool event_is_set(rh_event* e) override;
  bool event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t flags) override;
  void event_destroy(rh_event* e) override;
  void yield() override { std::this_thread::yield(); }

  // rh_remote_attempts.execute.
  std::int32_t execute(const rh_remote_attempt& attempt);
  // rh_remote_attempts.set_libraries: the files every worker loads, before start.
  void set_libraries(std::vector<std::string> files) { libraries_ = std::move(files); }

  // The RH_EXT_REMOTE_ATTEMPTS table of every runner built on this pool.
  static const rh_remote_attempts& remote_attempts();

 protected:
  // The lanes to start with, each ready for attempts (the runner keeps them). Throws
  // std::runtime_error naming what could not start.
  virtual std::vector<Lane*> open_lanes() = 0;
  // After every item returned: ends the workers.
  virtual void close_lanes() = 0;
  // Every lane (`held` of them) is held by an attempt that waits: one more, or nullptr. The
  // runner owns it. Under the pool's lock.
  virtual Lane* extra_lane_locked(std::size_t held) {
    (void)held;
    return nullptr;
  }
  // Why an attempt found no usable lane left ("every worker rank is lost").
  virtual std::string no_lane_left() const { return "no worker is left"; }
  // How many times an outermost attempt is sent again after its lane was lost.
  virtual int max_resends() const { return 0; }

  std::uint32_t workers() const noexcept { return workers_; }
  const std::vector<std::string>& libraries() const noexcept { return libraries_; }

 private:
  struct Work {
    rh_work_fn fn;
    void* arg;
  };
  void notify_for_queued_locked();
  void start_thread_locked();
  Lane* borrow_lane();  // nullptr when no usable lane is left
  void give_back(Lane* lane);
  void serve();

  const std::uint32_t workers_;
  std::vector<std::string> libraries_;
  std::mutex mutex_;               // guards everything below
  std::size_t lanes_ = 0;          // usable lanes, free or borrowed
  std::vector<Lane*> free_lanes_;  // not borrowed by an attempt
  std::vector<std::thread> threads_;
  std::condition_variable work_;        // idle threads: work queued, shutting down
  std::condition_variable changed_;     // waiting threads: an event set, work no idle thread takes
  std::condition_variable idle_;        // the queue ran dry with no item executing
  std::condition_variable lane_freed_;  // a lane given back or retired, or a holder started waiting
  std::deque<Work> queue_;
  int busy_ = 0;
  int idle_threads_ = 0;     // threads not executing an item
  int waiting_ = 0;          // pool threads in event_wait that could run queued work
  int waiting_holders_ = 0;  // of those, threads whose attempt holds a lane
  bool started_ = false;
  bool stopping_ = false;
  bool done_ = false;
};

}  // namespace rh::remote
