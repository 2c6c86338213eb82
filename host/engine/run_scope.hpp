// The runs of one flow run (or of one top-level task run): kept in creation order for the
// report, found by id for future parameters, and counted so the host knows when all of
// them (nested ones included) reached a terminal state.
#pragma once

#include "base/spin_lock.hpp"
#include "engine/run.hpp"
#include "engine/run_ref.hpp"
#include "runtime/wait.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace rh::host {

class Engine;

class RunScope {
 public:
  explicit RunScope(Engine& engine) : engine_(engine) {}
  ~RunScope();
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

  // The flow run; empty for a top-level task run.
  const RunRef& flow_run() const noexcept { return flow_run_; }
  std::uint64_t flow_run_id() const noexcept { return flow_run_id_; }

  // Task runs (not the flow run), in creation order. A copy: runs may be added meanwhile.
  std::vector<RunRef> runs() const;
  std::size_t size() const;
  // The task run with this id, or nullptr.
  Run* find(std::uint64_t id) const;

  // Runs (flow run included) not yet terminal.
  std::int64_t outstanding() const noexcept { return outstanding_.load(std::memory_order_acquire); }

 private:
  friend class Engine;

  // Creates a run with the engine's next id, in id order.
  RunRef create_run(const TaskDef& task, std::uint64_t parent_id, std::string name, std::string params,
                    bool is_flow_run);
  // Called once per run as it reaches its terminal state; wakes idle waiters at zero.
  void run_finished();
  // Waits (through the runner) until outstanding() is 0. From a non-worker thread.
  void wait_idle(const Blocker& blocker);

  Engine& engine_;
  // Every submission from every worker goes through here, for a few instructions each time:
  // a spin lock, because a contended std::mutex costs a futex wake-up (profiled: 16% of
  // fib(25) on tbb). Nothing inside may suspend.
  mutable SpinLock mutex_;
  std::vector<RunRef> runs_;  // sorted by id: ids are taken under mutex_
  RunRef flow_run_;
  std::uint64_t flow_run_id_ = 0;
  std::atomic<std::int64_t> outstanding_{0};
  WaitList idle_waiters_;  // guarded by mutex_
};

}  // namespace rh::host
