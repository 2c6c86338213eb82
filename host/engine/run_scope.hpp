// The runs of one flow run (or of one top-level task run): kept in creation order for the
// report, found by id for future parameters, and counted so the host knows when all of
// them (nested ones included) reached a terminal state.
//
// Memory stays bounded however many runs pass through: once more than retained_runs() task
// runs are held, a thread of the scope's own retires the finished ones nobody else refers
// to (no future, no downstream run). Each is shown once to the retire observer (the CLI's
// report spool), counted in the tally, kept if it did not complete (up to
// kKeptUnsuccessful, for the summary table), and freed. Below that many runs nothing is
// retired, so a small flow's runs are all still here, in id order, when it ends.
#pragma once

#include "base/spin_lock.hpp"
#include "engine/run.hpp"
#include "engine/run_ref.hpp"
#include "runtime/wait.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rh::host {

class Engine;

// Retired task runs counted by final state.
struct RunTally {
  std::uint64_t runs = 0;
  std::array<std::uint64_t, kStateCount> by_state{};  // by StateId
  std::uint64_t never_started = 0;                    // without an attempt

  bool all_completed() const noexcept;
};

class ResumeSet;

// What the store says about where a flow run came from (FlowRunStart).
struct RunProvenance {
  std::string command_line;
  std::string runner;
};

// Sees each retired task run once, terminal and immutable, on the scope's retiring thread.
// It must not throw.
using RetireObserver = std::function<void(const Run&)>;

class RunScope {
 public:
  // Runs held before finished ones are retired: a flow this size keeps every run.
  static constexpr std::size_t kRetainedRuns = 65536;
  // Retired runs that did not complete kept for the summary table.
  static constexpr std::size_t kKeptUnsuccessful = 1000;
  // Unfinished runs past which task code that submits more waits for room (wait_for_room).
  // About 30 MB of run records and runner queue entries; more buys no speed (measured).
  static constexpr std::int64_t kMaxUnfinishedRuns = 65536;

  explicit RunScope(Engine& engine);
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

  // Before task code submits a run: past max_unfinished() unfinished runs, waits through
  // `blocker` (suspending the fiber or task) until a quarter of them finished, so a flow
  // that submits faster than its runs finish does not queue without bound. (Waking at a
  // half, in bigger bursts, cost the fiber runner a third of its throughput.) It never
  // deadlocks: if no run finishes for a second while it waits (they may be waiting for
  // the submitter), it stops waiting, says so once, and the scope no longer limits.
  // Call it when needs_room(), and only on a runner with more than one worker: a runner
  // with one thread runs queued work nested inside its waits, where a run waiting for the
  // submitter could never return. (No thread-local guard against nesting either: a tbb
  // task may resume on another thread.)
  bool needs_room() const noexcept {
    return max_unfinished_ > 0 && outstanding() > max_unfinished_ && !room_limit_off_.load(std::memory_order_relaxed);
  }
  void wait_for_room(const Blocker& blocker);
  void set_max_unfinished(std::int64_t runs) noexcept { max_unfinished_ = runs; }  // 0: no limit

  // Before the root run starts. 0 keeps every run (benchmarks of retained records).
  void set_retained_runs(std::size_t runs) noexcept { retained_runs_ = runs; }
  std::size_t retained_runs() const noexcept { return retained_runs_; }
  void set_retire_observer(RetireObserver observer) { observer_ = std::move(observer); }

  // While the guard lives no run is retired, so runs() and the retired ones (tally(),
  // kept_unsuccessful(), what the observer saw) are each run exactly once, consistently.
  std::unique_lock<std::mutex> hold_retirement() const { return std::unique_lock<std::mutex>(retire_mutex_); }
  // Retired task runs so far (under hold_retirement() for a view consistent with runs()).
  const RunTally& retired_tally() const noexcept { return retired_tally_; }
  // Retired runs that did not complete (the first kKeptUnsuccessful), in retirement order.
  const std::vector<RunRef>& kept_unsuccessful() const noexcept { return kept_unsuccessful_; }

  // Ends the retiring thread (the scope is idle, or is being torn down).
  void stop_retiring();

  // --- what the store records (engine/run_records.cpp) ---
  // The flow run's id across invocations sharing a store (a UUID, store/store_records.hpp),
  // made when the scope opens; the store knows task runs by it and their run number.
  const std::string& flow_run_uuid() const noexcept { return flow_run_uuid_; }
  // Before start_root.
  void set_provenance(RunProvenance provenance) { provenance_ = std::move(provenance); }
  const RunProvenance& provenance() const noexcept { return provenance_; }
  // Completed task runs of an earlier flow run that end Cached here instead of running
  // (--resume). Before start_root.
  void set_resume(std::shared_ptr<ResumeSet> resume) { resume_ = std::move(resume); }
  ResumeSet* resume() const noexcept { return resume_.get(); }

 private:
  friend class Engine;

  // Creates a run with the engine's next id, in id order.
  RunRef create_run(const TaskDef& task, std::uint64_t parent_id, std::string name, std::string params,
                    bool is_flow_run);
  // Called once per run as it reaches its terminal state, as the engine's last touch of
  // it; wakes idle waiters at zero.
  void run_finished(Run& run);
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
  WaitList room_waiters_;  // guarded by mutex_
  std::int64_t max_unfinished_ = kMaxUnfinishedRuns;
  std::atomic<bool> room_limit_off_{false};

  // --- retirement ---
  void retire_loop();
  bool pass_is_due() const;
  void retire_pass();
  void count_retired(const Run& run);

  std::size_t retained_runs_ = kRetainedRuns;
  RetireObserver observer_;
  std::atomic<bool> retiring_started_{false};
  std::thread retiring_thread_;
  mutable std::mutex retire_mutex_;  // held by a retirement pass, and by hold_retirement()
  std::mutex wake_mutex_;            // for wake_ and stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  // Guarded by mutex_: task runs created; finished ones at the last pass; a pass's gap.
  std::uint64_t created_ = 0;
  std::uint64_t finished_at_pass_ = 0;
  bool scanning_ = false;
  std::size_t scan_write_ = 0;
  std::size_t scan_read_ = 0;
  const std::string flow_run_uuid_;
  RunProvenance provenance_;
  std::shared_ptr<ResumeSet> resume_;
  RunTally retired_tally_;                 // guarded by retire_mutex_
  std::vector<RunRef> kept_unsuccessful_;  // guarded by retire_mutex_
};

}  // namespace rh::host
