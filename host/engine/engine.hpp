// The task engine: drives every run through DESIGN.md section 4 (Pending -> upstreams ->
// tag slots -> Running -> attempts with timeouts and retries -> final state -> hooks ->
// slot release -> terminal event). It executes user code only through the active runner
// and never holds a worker while a run waits for upstreams, a tag slot or a retry delay:
// those waits are callbacks and timers.
#pragma once

#include "engine/run.hpp"
#include "engine/run_ref.hpp"
#include "engine/run_scope.hpp"
#include "engine/scheduler.hpp"
#include "engine/tag_limits.hpp"
#include "engine/task_registry.hpp"
#include "events/event_bus.hpp"
#include "store/result_cache.hpp"

#include <runner_host/abi.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host {

struct EngineOptions {
  std::map<std::string, std::int64_t> concurrency_limits;  // tag -> slots
  std::size_t cache_max_entries = 10000;
};

// A submission the engine refuses (bad parameters, unknown future). The message says why.
class SubmitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DependencySpec {
  Run* run;
  bool allow_failure;
};

// One executing attempt of a run: what the host API's rh_context points to. Lives on the
// stack of the worker running the attempt. The task's outcome lands here first, so a late
// result of an abandoned (timed out) attempt never touches the run.
struct AttemptContext {
  Run* run;
  std::uint32_t generation;
  std::uint32_t inline_depth;  // runs this attempt runs nested in (Engine::wait_run)
  std::string result;
  std::string error_type;
  std::string error_message;
  bool has_error = false;
};

class Engine {
 public:
  Engine(const TaskRegistry& registry, Scheduler& scheduler, EventBus& bus, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The engine the host API serves (the most recently constructed live one).
  static Engine* active() noexcept;

  // Runs a flow, or a single task, to completion, then waits until every run it created
  // (nested ones too) is terminal. Call from a thread that is not a runner worker.
  std::unique_ptr<RunScope> run_flow(const TaskDef& flow, std::string params_json);
  std::unique_ptr<RunScope> run_task(const TaskDef& task, std::string params_json);

  // Ctrl-C: no new run starts (they end Cancelled, "never started"), running attempts are
  // asked to stop (ctx.cancelled(), SDK waits throw CancelledError), pending retries and
  // runs waiting for tag slots are cancelled. Safe from any thread except a signal handler.
  void interrupt();
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_acquire); }

  // --- services behind the host API ---

  // Creates a run of `task` in `scope`. Futures in params ({"$rh_future": id}) and `deps`
  // become upstreams. Throws SubmitError.
  RunRef submit(RunScope& scope, std::uint64_t parent_id, const TaskDef& task, std::string params,
                const std::vector<DependencySpec>& deps);
  // RH_OK, RH_TIMEOUT, RH_CANCELLED, RH_TIMED_OUT_ATTEMPT, or RH_ERROR (a run waiting on
  // itself; the reason in *error).
  std::int32_t wait_run(Run& run, std::int64_t deadline, std::string* error);
  // Blocks on a wake token until set or the deadline, ending early (RH_CANCELLED,
  // RH_TIMED_OUT_ATTEMPT) when the calling attempt must stop. RH_OK means "set".
  std::int32_t block_on(rh_event* token, std::int64_t deadline, std::uint32_t flags = 0);
  std::int32_t sleep(AttemptContext& attempt, std::int64_t duration_ns);
  // RH_OK, RH_CANCELLED or RH_TIMED_OUT_ATTEMPT.
  std::int32_t attempt_status(const AttemptContext& attempt) const;
  // Calls fn(arg, run) once the run is terminal (at once if it is).
  void on_done(Run& run, DoneFn fn, void* arg);
  // The task run with this id in a live scope, or an empty ref.
  RunRef find_run(std::uint64_t id);
  void log_for(const Run& run, std::uint32_t level, std::string_view message) const;

  Scheduler& scheduler() noexcept { return scheduler_; }
  EventBus& events() noexcept { return bus_; }
  const TaskRegistry& registry() const noexcept { return registry_; }
  TagLimits& tag_limits() noexcept { return limits_; }
  ResultCache& cache() noexcept { return cache_; }

 private:
  friend class RunScope;

  // --- creation and upstreams (engine.cpp) ---
  RunRef create(RunScope& scope, const TaskDef& task, std::uint64_t parent_id, std::string params, bool is_flow_run);
  void start(Run& run, std::vector<Upstream> upstreams);
  static void on_upstream_done(void* arg, Run* upstream);
  void upstreams_ready(Run& run);
  bool resolve_parameters(Run& run);
  bool render_name(Run& run, const nlohmann::json* params);
  std::unique_ptr<RunScope> execute_root(const TaskDef& def, std::string params_json);

  // --- tag slots (slots.cpp) ---
  void acquire_slots(Run& run);
  void release_slots(Run& run);
  void schedule_granted(const std::vector<Run*>& granted);

  // --- attempts (attempt.cpp) ---
  void schedule_attempt(Run& run);
  static void attempt_entry(void* arg);
  void run_attempts(Run& run, std::uint32_t inline_depth);
  enum class AttemptEnd { Finished, Retry, Handled };
  AttemptEnd run_one_attempt(Run& run, std::uint32_t inline_depth);
  // Runs a queued, not yet started run on the waiting attempt's own stack when the runner
  // allows it. Returns false when it did not (the caller then waits as usual).
  bool run_in_place(Run& target, const AttemptContext& waiter, std::int64_t deadline);
  static void on_attempt_timeout(void* arg);
  void attempt_timed_out(Run& run);
  static void on_retry_due(void* arg);

  // --- failure handling and retries (retry.cpp) ---
  enum class FailureKind { Exception, UserTimeout, EngineTimeout };
  struct RetryDecision {
    bool retry = false;
    double delay_seconds = 0;
  };
  bool retries_remain(const Run& run) const;
  RetryDecision decide_retry(Run& run, FailureKind kind);
  // Applies a failed attempt's outcome (the error is already on the run): Retrying now,
  // AwaitingRetry, or the final Failed/TimedOut. Off a worker (the timer thread) user code
  // is never called here: a retry condition is consulted from a runner continuation.
  // Returns true when the caller, on a worker, should start the next attempt itself.
  bool after_failure(Run& run, FailureKind kind, bool on_worker);
  void await_retry(Run& run, double delay_seconds);
  static void continue_after_timeout(void* arg);

  // --- ending a run (completion.cpp) ---
  // Records the final state, runs the final hooks (here, or on the runner when called off
  // a worker), releases slots, publishes the terminal event and wakes waiters.
  void finish(Run& run, StateId final_state, std::string message, bool on_worker = true);
  static void finish_entry(void* arg);
  void complete(Run& run);
  void run_hooks(Run& run, std::uint32_t kind);
  void cancel_never_started(Run& run);

  // --- states and events (engine.cpp) ---
  void transition(Run& run, StateId state, std::string message = {}, std::int64_t scheduled_us = 0);
  void publish(const Run& run, const StateEntry& entry, const StateEntry* previous, std::string_view message,
               std::string_view previous_message);

  void stop_attempt(Run& run, StopReason reason);
  void track(RunScope* scope, bool add);

  const TaskRegistry& registry_;
  Scheduler& scheduler_;
  EventBus& bus_;
  TagLimits limits_;
  ResultCache cache_;
  std::atomic<bool> interrupted_{false};
  std::mutex scopes_mutex_;
  std::vector<RunScope*> scopes_;  // live scopes, for interrupt()
};

// A snapshot of a run for hooks, retry conditions and the host API. Pointers into `run`:
// valid while the caller keeps the run unchanged (holds its lock or owns its phase).
rh_run_view make_run_view(const Run& run);

}  // namespace rh::host
