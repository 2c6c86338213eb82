// TaskRunWaiter: wait for a task run by id, or get called back when it ends, from any
// thread, fiber or task. It listens to terminal events on an EventBus and remembers recent
// final states in a bounded cache (max entries + TTL), so a wait that starts after the run
// ended returns at once. It wakes for every terminal state, whatever its name, and keeps
// every callback registered for an id.
#pragma once

#include "engine/scheduler.hpp"
#include "engine/state.hpp"
#include "events/event_bus.hpp"

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

class TaskRunWaiter {
 public:
  using Callback = std::function<void(std::uint64_t run_id)>;

  TaskRunWaiter(EventBus& bus, WaiterOptions options);
  ~TaskRunWaiter();
  TaskRunWaiter(const TaskRunWaiter&) = delete;
  TaskRunWaiter& operator=(const TaskRunWaiter&) = delete;

  // The process-wide waiter on EventBus::global(): the same object until stop(), then a new one.
  static std::shared_ptr<TaskRunWaiter> instance();
  // Options for waiters instance() creates from now on.
  static void set_instance_options(WaiterOptions options);

  // Waits until the run is terminal or the deadline (monotonic ns) passes. RH_OK (state in
  // *out), RH_TIMEOUT, RH_STOPPED, RH_CANCELLED / RH_TIMED_OUT_ATTEMPT (the calling attempt
  // must stop), or RH_ERROR when an attempt waits for its own run (*error says so).
  std::int32_t wait_for_task_run(std::uint64_t run_id, std::int64_t deadline, FinalState* out,
                                 std::string* error = nullptr);
  // Runs fn once, when the run ends (at once if it already did). A throwing fn is logged.
  void add_done_callback(std::uint64_t run_id, Callback fn);
  // Stops listening; pending waits end RH_STOPPED. instance() then makes a new waiter.
  void stop();
  bool stopped() const;

  // The cached final state, if still cached.
  std::optional<FinalState> lookup(std::uint64_t run_id);
  std::size_t cached() const;
  const WaiterOptions& options() const { return options_; }

 private:
  struct Entry {
    FinalState state;
    std::int64_t expires_ns;
  };
  void on_event(const TaskRunEvent& event);
  // Caller holds mutex_.
  void evict_locked(std::int64_t now_ns);
  const FinalState* find_locked(std::uint64_t run_id, std::int64_t now_ns);

  EventBus& bus_;
  const WaiterOptions options_;
  std::uint64_t subscription_ = 0;
  mutable std::mutex mutex_;
  bool stopped_ = false;
  // A blocked wait. on_event hands it the final state directly, so the waiter never has
  // to find it in the cache again (the entry may expire or be evicted before it runs).
  struct Blocked {
    Scheduler* scheduler;
    rh_event* token;
    std::optional<FinalState> state;
  };

  std::list<Entry> order_;  // insertion order = expiry order (one TTL for all)
  std::unordered_map<std::uint64_t, std::list<Entry>::iterator> cache_;
  std::unordered_map<std::uint64_t, std::vector<Blocked*>> waiters_;
  std::unordered_map<std::uint64_t, std::vector<Callback>> callbacks_;
};

}  // namespace rh::host
