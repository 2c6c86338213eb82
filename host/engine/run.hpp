// One task (or flow) run: identity, parameters, the ordered state history with strictly
// increasing timestamps, the outcome, where it is in its life (its Phase), and who waits
// for it. The engine drives it (engine/state_machine.cpp); readers take a consistent
// snapshot under its lock.
#pragma once

#include "base/spin_lock.hpp"
#include "base/state.hpp"
#include "engine/key_locks.hpp"
#include "engine/run_ref.hpp"
#include "engine/transaction.hpp"
#include "runtime/wait.hpp"

#include <runner_host/abi.h>

#include <boost/container/small_vector.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rh::host {

class Engine;
class RunScope;
struct TaskDef;

// Where a run is in its life: the step engine/state_machine.cpp runs next when it drives
// the run. A run that waits for something (an upstream, a tag slot, a worker, a retry
// delay) keeps its phase, and whoever ends the wait drives it on from there.
enum class Phase : std::uint8_t {
  Created,        // Pending is recorded; it has not looked at its upstreams yet
  Inputs,         // every upstream is terminal: check them, resolve parameters, name the run
  Slots,          // needs a slot of each limited tag (parked in the tag queue if full)
  Queued,         // holds its slots; handed to the runner, waiting for a worker to claim it
  Attempt,        // claimed by a worker: the next attempt runs there
  Deciding,       // an attempt failed: retry now, after a delay, or end Failed / TimedOut
  AwaitingRetry,  // parked on the retry timer, holding nothing
  Finishing,      // the final state is recorded: final hooks, release slots, terminal event
  Done,           // terminal and published; never changes again
};

// Why an attempt failed, for the retry decision and the final state.
enum class FailureKind : std::uint8_t { Exception, UserTimeout, EngineTimeout };

struct StateEntry {
  std::int64_t time_us;  // wall clock; strictly increasing within a run
  std::uint32_t detail;  // 0: none, else 1 + index into the run's details
  StateId id;
};

// Pending, Running and a terminal state fit inline: most runs never allocate a history.
using StateHistory = boost::container::small_vector<StateEntry, 3>;

struct StateDetail {
  std::string message;
  std::int64_t scheduled_us = 0;  // AwaitingRetry: when the next attempt is due (wall clock)
};

struct RunError {
  std::string type;
  std::string message;
};

// Why a run with a cache policy was or was not a cache hit (docs/store.md): its key (empty
// when none could be made) and the outcome ("hit", "miss: no record", "miss: expired at T",
// "refresh requested", "not cacheable: why", "resumed from flow run ID").
struct CacheNote {
  std::string key;
  std::string outcome;
  std::int64_t expires_us = 0;  // of the entry this run writes; 0: never
  bool store_entry = false;     // a completed run writes an entry under key
  KeyLocks::Hold lock;          // SERIALIZABLE: the key, from the lookup to the run's record
};

// An upstream run this run waits for before it starts.
struct Upstream {
  RunRef run;
  bool allow_failure = false;
};

using DoneFn = void (*)(void* arg, Run* run);

// Why the executing attempt should stop (AttemptState::stop).
enum class StopReason : std::uint8_t { None = 0, Cancelled = 1, TimedOut = 2 };

struct AttemptState {
  std::atomic<std::uint32_t> generation{0};  // bumps at each attempt start and on abandonment
  std::atomic<std::uint8_t> stop{0};         // StopReason of the current generation
  bool active = false;                       // user code of `generation` is executing
  // Attempts of this run the engine took over (timeout, abandonment) whose user code has
  // not returned yet (Engine::abandoned_attempts_executing).
  std::atomic<std::uint16_t> abandoned_executing{0};
  std::atomic<std::int64_t> deadline{INT64_MAX};  // monotonic ns
  std::uint64_t timer_id = 0;                     // timeout timer, or retry-delay timer while AwaitingRetry
  rh_event* wait_token = nullptr;                 // what the attempt is blocked on, to wake it on stop
  FailureKind failure = FailureKind::Exception;   // of the last failed attempt (Phase::Deciding)
};

class Run {
 public:
  // flow_run_id: the flow run this run belongs to (its own id for a flow run), 0 for none.
  Run(Engine& engine, const TaskDef& task, RunScope* scope, std::uint64_t id, std::uint64_t parent_id,
      std::uint64_t flow_run_id, std::string name, std::string params);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // --- identity (immutable) ---
  Engine& engine() const noexcept { return engine_; }
  const TaskDef& task() const noexcept { return task_; }
  RunScope* scope() const noexcept { return scope_; }
  std::uint64_t id() const noexcept { return id_; }
  std::uint64_t parent_id() const noexcept { return parent_id_; }
  // Kept in the run rather than read from its scope: an attempt the engine abandoned (its
  // timeout took the run over) may still log after the scope is gone.
  std::uint64_t flow_run_id() const noexcept { return flow_run_id_; }
  bool is_flow() const noexcept;

  // --- reference count ---
  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  // --- fast, lock-free queries ---
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  // Whether the engine is through with the run (its scope saw it finish) and the caller's
  // reference is the only one: nothing can reach it any more but through that reference.
  bool released_by_all_but_one() const noexcept {
    return finished_.load(std::memory_order_acquire) && refs_.load(std::memory_order_acquire) == 1;
  }
  // The last thing the engine does with a run (RunScope::run_finished).
  void set_finished() noexcept { finished_.store(true, std::memory_order_release); }

  // --- phase: written only by whoever drives the run at the time ---
  Phase phase() const noexcept { return phase_.load(std::memory_order_acquire); }
  void set_phase(Phase phase) noexcept { phase_.store(phase, std::memory_order_release); }
  // A queued run is executed by whoever claims it first: the runner's work item, or a
  // worker that waits for it and runs it in place (Engine::run_in_place). The loser finds
  // nothing to do.
  bool claim_queued() noexcept {
    Phase expected = Phase::Queued;
    return phase_.load(std::memory_order_relaxed) == Phase::Queued &&
           phase_.compare_exchange_strong(expected, Phase::Attempt, std::memory_order_acq_rel);
  }

  // Everything below is guarded by lock() unless the engine owns the run's current phase.
  SpinLock& lock() const noexcept { return lock_; }

  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& params() const noexcept { return params_; }
  void set_params(std::string params) { params_ = std::move(params); }

  // Appends a state with a timestamp after the previous one. Returns the new entry.
  const StateEntry& record(StateId id, std::string message = {}, std::int64_t scheduled_us = 0);
  const StateHistory& history() const noexcept { return history_; }
  StateId state() const noexcept { return history_.back().id; }
  const StateEntry& current() const noexcept { return history_.back(); }
  const StateEntry* previous() const noexcept { return history_.size() > 1 ? &history_[history_.size() - 2] : nullptr; }
  const StateDetail* detail(const StateEntry& entry) const noexcept {
    return entry.detail == 0 ? nullptr : &details_[entry.detail - 1];
  }
  std::string_view message(const StateEntry& entry) const noexcept {
    const StateDetail* d = detail(entry);
    return d == nullptr ? std::string_view{} : std::string_view{d->message};
  }

  std::uint32_t run_count() const noexcept { return run_count_; }
  void count_attempt() noexcept { ++run_count_; }

  const std::string& result() const noexcept { return result_; }
  void set_result(std::string result) { result_ = std::move(result); }
  const RunError* error() const noexcept { return error_.get(); }
  void set_error(std::string type, std::string message) {
    error_ = std::make_unique<RunError>(RunError{std::move(type), std::move(message)});
  }
  void clear_error() noexcept { error_.reset(); }
  // Set by the attempt that looked the cache up (the last one's note wins).
  const CacheNote* cache_note() const noexcept { return cache_note_.get(); }
  void set_cache_note(CacheNote note) { cache_note_ = std::make_unique<CacheNote>(std::move(note)); }
  // The key lock the note holds, handed to the caller to release (under the run's lock).
  KeyLocks::Hold take_key_lock() noexcept {
    return cache_note_ ? std::exchange(cache_note_->lock, KeyLocks::Hold{}) : KeyLocks::Hold{};
  }

  // Derived accounting (0 when absent): first Running, terminal, time spent RUNNING-type.
  std::int64_t start_time_us() const noexcept;
  std::int64_t end_time_us() const noexcept;
  std::int64_t total_run_time_us() const noexcept;
  bool started() const noexcept { return run_count_ > 0; }

  AttemptState& attempt() noexcept { return attempt_; }
  const AttemptState& attempt() const noexcept { return attempt_; }

  std::vector<Upstream>& upstreams() noexcept { return upstreams_; }
  const std::vector<Upstream>& upstreams() const noexcept { return upstreams_; }
  std::atomic<std::uint32_t>& pending_upstreams() noexcept { return pending_upstreams_; }
  bool params_have_futures() const noexcept { return params_have_futures_; }
  // Whether name() is final: the default name, or the task's template already rendered.
  bool name_rendered() const noexcept { return name_rendered_; }
  void set_name_rendered(bool value) noexcept { name_rendered_ = value; }
  void set_params_have_futures(bool value) noexcept { params_have_futures_ = value; }
  // Nothing to check or resolve before the run may start: no upstreams, no futures in its
  // parameters, its name final.
  bool inputs_ready() const noexcept { return upstreams_.empty() && !params_have_futures_ && name_rendered_; }
  // How many runs deep it was submitted: 0 for the flow run (or a top-level task run), 1
  // for what the flow submits, and so on. Set before the run starts.
  std::uint16_t nesting_depth() const noexcept { return nesting_depth_; }
  void set_nesting_depth(std::uint16_t depth) noexcept { nesting_depth_ = depth; }
  // The transaction it joined (engine/transaction.hpp), set before it starts.
  Transaction* transaction() const noexcept { return transaction_.get(); }
  void set_transaction(TransactionRef txn) noexcept { transaction_ = std::move(txn); }
  bool holds_slots() const noexcept { return holds_slots_; }
  void set_holds_slots(bool value) noexcept { holds_slots_ = value; }
  // Each time the run waited for a tag's concurrency slot: when it started to wait and when
  // it got the slots (0 while waiting, or if it ended waiting), wall clock. No state records
  // these waits (Prefect has none), so the trace and the HTML report draw them from here.
  // Allocated only for a run that ever waited. Written by the engine as the run is queued
  // for a slot and when it is granted one; read once the run is terminal.
  struct SlotWait {
    std::int64_t from_us = 0;
    std::int64_t to_us = 0;
  };
  const std::vector<SlotWait>* slot_waits() const noexcept { return slot_waits_.get(); }
  void slot_wait_started(std::int64_t now_us) {
    if (!slot_waits_) slot_waits_ = std::make_unique<std::vector<SlotWait>>();
    slot_waits_->push_back(SlotWait{now_us, 0});
  }
  void slot_wait_ended(std::int64_t now_us) noexcept {
    if (slot_waits_ && !slot_waits_->empty()) slot_waits_->back().to_us = now_us;
  }

  // Callers blocked until the run is done. Guarded by lock().
  WaitList& waiters() noexcept { return waiters_; }
  // Done callbacks; returns false (and does not keep fn) when the run is already done.
  bool add_done_callback(DoneFn fn, void* arg);

  // Marks the run done and wakes every waiter (under the lock, so a waiter that gave up
  // cannot free its token in between). Returns the done callbacks, which the caller runs
  // outside the lock.
  std::vector<std::pair<DoneFn, void*>> mark_done();

 private:
  Engine& engine_;
  const TaskDef& task_;
  RunScope* const scope_;
  const std::uint64_t id_;
  const std::uint64_t parent_id_;
  const std::uint64_t flow_run_id_;
  std::atomic<std::uint32_t> refs_{0};
  std::atomic<bool> done_{false};
  std::atomic<bool> finished_{false};
  mutable SpinLock lock_;
  bool params_have_futures_ = false;
  bool name_rendered_ = true;
  bool holds_slots_ = false;
  std::atomic<Phase> phase_{Phase::Created};
  std::uint16_t nesting_depth_ = 0;
  std::uint32_t run_count_ = 0;
  std::string name_;
  std::string params_;
  std::string result_;
  std::unique_ptr<RunError> error_;
  std::unique_ptr<CacheNote> cache_note_;
  TransactionRef transaction_;
  StateHistory history_;
  std::vector<StateDetail> details_;
  std::vector<Upstream> upstreams_;
  std::unique_ptr<std::vector<SlotWait>> slot_waits_;
  std::atomic<std::uint32_t> pending_upstreams_{0};
  WaitList waiters_;
  std::vector<std::pair<DoneFn, void*>> callbacks_;
  AttemptState attempt_;
};

}  // namespace rh::host
