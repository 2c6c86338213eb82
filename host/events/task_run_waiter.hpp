// TaskRunWaiter: wait for a task run by id, or get called back when it ends, from any
// thread, fiber or task. It listens to terminal events on a session's EventBus and remembers
// recent final states in a bounded cache (max entries + TTL), so a wait that starts after
// the run ended returns at once. It wakes for every terminal state, whatever its name, and
// keeps every callback registered for an id. Runs that ended before it started listening
// are found through the history lookup it was given (the session's live runs).
#pragma once

#include "base/state.hpp"
#include "events/event_bus.hpp"
#include "runtime/wait.hpp"

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rh::host {

struct WaiterOptions {
  std::size_t max_entries = 10000;
  double ttl_seconds = 600;
};

// A run's final state as the waiter saw it in the event stream.
struct FinalState {
  std::uint64_t run_id = 0;
  std::uint64_t flow_run_id = 0;
  std::string task_name;
  std::string run_name;
  StateId state = StateId::Completed;
  std::string message;
  std::uint32_t run_count = 0;
  std::int64_t time_us = 0;
};

// The final state of a run that already ended, if it is still known; nothing otherwise.
using HistoryLookup = std::function<std::optional<FinalState>(std::uint64_t run_id)>;

class TaskRunWaiter : public std::enable_shared_from_this<TaskRunWaiter> {
 public:
  using Callback = std::function<void(std::uint64_t run_id)>;

  // blocker: how callers of wait_for_task_run block (the engine's, so that a waiting
  // attempt still stops at its deadline). history: may be empty.
  TaskRunWaiter(EventBus& bus, WaiterOptions options, const Blocker& blocker = thread_blocker(),
                HistoryLookup history = {});
  ~TaskRunWaiter();
  TaskRunWaiter(const TaskRunWaiter&) = delete;
  TaskRunWaiter& operator=(const TaskRunWaiter&) = delete;

  // Waits until the run is terminal or the deadline (monotonic ns) passes. RH_OK (state in
  // *out), RH_TIMEOUT, RH_STOPPED, RH_CANCELLED / RH_TIMED_OUT_ATTEMPT (the calling attempt
  // must stop), or RH_ERROR when an attempt waits for its own run (*error says so).
  std::int32_t wait_for_task_run(std::uint64_t run_id, std::int64_t deadline, FinalState* out,
                                 std::string* error = nullptr);
  // Runs fn once, when the run ends (at once if it already did). A throwing fn is logged.
  void add_done_callback(std::uint64_t run_id, Callback fn);
  // Stops listening; pending waits end RH_STOPPED, and the bus is never touched again.
  void stop();
  bool stopped() const;

  // The cached final state, if still cached.
  std::optional<FinalState> lookup(std::uint64_t run_id);
  std::size_t cached() const;
  const WaiterOptions& options() const { return options_; }

  // Handles given to plugins (rh_waiter*, the waiter's own address) keep it alive: the
  // first acquire takes a reference to this waiter, the last release drops it. Only for
  // waiters owned by a shared_ptr.
  void acquire_handle();
  void release_handle();

 private:
  struct Entry {
    FinalState state;
    std::int64_t expires_ns;
  };
  // A blocked wait. on_event hands it the final state directly, so the waiter never has
  // to find it in the cache again (the entry may expire or be evicted before it runs).
  struct Blocked : Waiter {
    std::optional<FinalState> state;
  };

  void on_event(const TaskRunEvent& event);
  // Caller holds mutex_.
  void evict_locked(std::int64_t now_ns);
  const FinalState* find_locked(std::uint64_t run_id, std::int64_t now_ns);
  void remember_locked(FinalState state, std::int64_t now_ns);

  EventBus& bus_;
  const WaiterOptions options_;
  const Blocker& blocker_;
  HistoryLookup history_;
  std::uint64_t subscription_ = 0;
  mutable std::mutex mutex_;
  bool stopped_ = false;
  std::size_t handles_ = 0;              // guarded by mutex_
  std::shared_ptr<TaskRunWaiter> self_;  // while handles_ > 0

  std::list<Entry> order_;  // insertion order = expiry order (one TTL for all)
  std::unordered_map<std::uint64_t, std::list<Entry>::iterator> cache_;
  std::unordered_map<std::uint64_t, WaitList> waiters_;
  std::unordered_map<std::uint64_t, std::vector<Callback>> callbacks_;
};

}  // namespace rh::host
