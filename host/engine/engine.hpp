// The task engine of one session. It drives every run through its life (the state machine
// of engine/state_machine.cpp: Pending -> upstreams -> tag slots -> attempts with timeouts
// and retries -> final state -> hooks -> slot release -> terminal event), executes user
// code only through the session's runner, and never holds a worker while a run waits for
// upstreams, a tag slot or a retry delay: those waits are callbacks and timers.
#pragma once

#include "base/log_fields.hpp"
#include "engine/run.hpp"
#include "engine/run_ref.hpp"
#include "engine/run_scope.hpp"
#include "engine/state_machine.hpp"
#include "engine/tag_limits.hpp"
#include "engine/task_registry.hpp"
#include "engine/transaction.hpp"
#include "events/event_bus.hpp"
#include "events/task_run_waiter.hpp"
#include "runtime/runner_link.hpp"
#include "store/result_cache.hpp"
#include "store/store.hpp"

#include <runner_host/abi.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host {

class ResumeSet;
class TimerService;
class WaiterRegistry;

// How deep runs may nest (a task submitting a task that submits...): past this, submit
// refuses. Every runner takes it; the sequential runner nests on its thread's stack, which
// the CLI makes large enough (docs/engine.md).
inline constexpr std::uint16_t kMaxNestingDepth = 10000;

struct EngineOptions {
  std::map<std::string, std::int64_t> concurrency_limits;  // tag -> slots
  std::size_t cache_max_entries = 10000;                   // results cached in memory (the store keeps all)
  bool no_cache = false;                                   // --no-cache: no lookups, no entries written
  bool refresh_cache = false;  // --refresh-cache: every caching task runs and replaces its entry
  // The legal transitions and what an illegal one does (engine/state_machine.hpp). Tests of
  // the engine's own checks replace them; everything else keeps the defaults.
  const TransitionTable* transitions = &kLegalTransitions;
  IllegalTransitionPolicy on_illegal_transition = default_illegal_transition_policy();
};

// What an engine runs with; its session owns all of it, and all of it outlives the engine.
struct EngineParts {
  const TaskRegistry& registry;
  const RunnerLink& runner;
  EventBus& events;
  TimerService& timers;
  WaiterRegistry& waiters;  // served to plugin code through the host API
  Store* store = nullptr;   // run records, results, cache entries; none: nothing persists
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
  std::uint32_t inline_depth;  // runs this attempt runs nested in (Engine::run_in_place)
  std::string result;
  std::string error_type;
  std::string error_message;
  bool has_error = false;
  // The innermost transaction open in this attempt, else the one its run joined; runs it
  // submits join it.
  Transaction* transaction = nullptr;
};

// Whether the code driving a run is a worker executing that run's work item (and how many
// runs deep it is nested there), or any other thread. User code (task, hooks, retry
// conditions) runs only on a worker; elsewhere the engine hands the run to the runner.
struct Where {
  bool on_worker;
  std::uint32_t inline_depth;
  static Where elsewhere() { return {false, 0}; }
  static Where worker(std::uint32_t depth = 0) { return {true, depth}; }
};

class Engine {
 public:
  Engine(EngineParts parts, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs a flow, or a single task, to completion, then waits until every run it created
  // (nested ones too) is terminal. Call from a thread that is not a runner worker.
  std::unique_ptr<RunScope> run(const TaskDef& def, std::string params_json);
  // run() in steps, for a caller that needs the scope while the runs go on (even while the
  // sequential runner runs the whole flow inside start_root): open_scope(), start_root()
  // creates and starts the flow run (or task run), wait() returns once every run of the
  // scope is terminal.
  std::unique_ptr<RunScope> open_scope();
  void start_root(RunScope& scope, const TaskDef& def, std::string params_json);
  void wait(RunScope& scope);

  // Ctrl-C: no new run starts (they end Cancelled, "never started"), running attempts are
  // asked to stop (ctx.cancelled(), SDK waits throw CancelledError), pending retries and
  // runs waiting for tag slots are cancelled. Safe from any thread except a signal handler.
  // `why` starts the warning it logs ("interrupted: no new task runs will start; ...").
  void interrupt(std::string_view why = "interrupted");
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_acquire); }

  // The host stops waiting for code that does not stop (engine/abandon.cpp): after an
  // interrupt's grace period, a second interrupt, or a task calling exit(). Every run of a
  // live scope that is not terminal and that the engine can take over ends now in `state`
  // with `message`: executing attempts are abandoned (their user code may go on, whatever
  // it produces is discarded, as past a deadline), queued runs and pending retries end
  // without starting. A run a worker is driving through a step at this moment (its hooks,
  // a retry decision) finishes on its own. Returns how many runs it ended.
  std::size_t abandon_unfinished(StateId state, const std::string& message);
  // The same for one run; false when it is terminal or not the engine's to take over.
  bool abandon_run(Run& run, StateId state, const std::string& message);
  // Attempts whose run the engine took over (a timeout, abandon_*) and whose user code
  // has not returned yet: the runner cannot be shut down while there are any.
  std::int64_t abandoned_attempts_executing() const noexcept {
    return abandoned_executing_.load(std::memory_order_acquire);
  }

  // --- services behind the host API ---

  // Creates a run of `task` in `scope`. Futures in params ({"$rh_future": id}) and `deps`
  // become upstreams. Throws SubmitError.
  // The run is a child of `parent` (in its scope), at most kMaxNestingDepth runs deep.
  // It joins `transaction`, if given (engine/transaction.hpp).
  RunRef submit(const Run& parent, const TaskDef& task, std::string params, const std::vector<DependencySpec>& deps,
                Transaction* transaction = nullptr);

  // --- transactions (transactions.cpp, engine/transaction.hpp), from the attempt's task code ---
  // Begins one nested in the attempt's innermost open transaction; no mode: the enclosing
  // one's, else lazy. It becomes the attempt's innermost.
  // serializable: waits for the key's lock first (engine/key_locks.hpp) and holds it until
  // the transaction's records are written. Throws std::runtime_error when the wait ends early.
  TransactionRef begin_transaction(AttemptContext& attempt, std::string key, std::optional<CommitMode> mode,
                                   bool serializable = false);
  // Each returns the state afterwards.
  TxnState commit_transaction(Transaction& txn);
  TxnState rollback_transaction(Transaction& txn);
  // The end of its scope: commits an active one, or rolls it back when left by an exception
  // or in off mode; the attempt's innermost is its parent again.
  void close_transaction(AttemptContext& attempt, Transaction& txn, bool by_exception);
  // RH_OK, RH_TIMEOUT, RH_CANCELLED, RH_TIMED_OUT_ATTEMPT, or RH_ERROR (a run waiting on
  // itself; the reason in *error).
  std::int32_t wait_run(Run& run, std::int64_t deadline, std::string* error);
  // Blocks an attempt on a wake token until set or the deadline, ending early
  // (RH_CANCELLED, RH_TIMED_OUT_ATTEMPT) when the attempt must stop. RH_OK means "set".
  std::int32_t block_attempt(AttemptContext& attempt, rh_event* token, std::int64_t deadline, std::uint32_t flags);
  std::int32_t sleep(AttemptContext& attempt, std::int64_t duration_ns);
  void yield();
  // RH_OK, RH_CANCELLED or RH_TIMED_OUT_ATTEMPT.
  std::int32_t attempt_status(const AttemptContext& attempt) const;
  // Calls fn(arg, run) once the run is terminal (at once if it is).
  void on_done(Run& run, DoneFn fn, void* arg);
  // The task run with this id in a live scope, or an empty ref.
  RunRef find_run(std::uint64_t id);
  // The final state of a task run of a live scope that already ended.
  std::optional<FinalState> final_state_of(std::uint64_t id);
  void log_for(const Run& run, std::uint32_t level, std::string_view message) const;

  const RunnerLink& runner() const noexcept { return runner_; }
  EventBus& events() noexcept { return bus_; }
  TimerService& timers() noexcept { return timers_; }
  WaiterRegistry& waiters() noexcept { return waiters_; }
  const TaskRegistry& registry() const noexcept { return registry_; }
  TagLimits& tag_limits() noexcept { return limits_; }
  ResultCache& cache() noexcept { return cache_; }
  const KeyLocks& key_locks() const noexcept { return key_locks_; }
  Store* store() const noexcept { return store_; }

  // Run ids: unique within this engine, increasing in creation order.
  std::uint64_t next_run_id() noexcept { return next_run_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  friend class RunScope;

  // --- the state machine (state_machine.cpp) ---
  // Moves the run on from its phase until it parks or is done.
  void drive(Run& run, Where where);
  // Records a non-terminal state and publishes it. An illegal transition ends the run
  // Crashed instead (returns false; the run's phase is then Finishing).
  bool enter(Run& run, StateId state, std::string message = {}, std::int64_t scheduled_us = 0);
  // Records the final state; the run goes on to Phase::Finishing.
  void end_run(Run& run, StateId final_state, std::string message);
  // Aborts (debug) or ends the run Crashed naming both states (release).
  void illegal_transition(Run& run, std::optional<StateId> from, StateId to);
  // Hands the run to the runner to go on on a worker, through `entry`. Throws RunnerRefused
  // when the runner refused it (the caller decides what that means for the phase).
  void hand_to_runner(Run& run, rh_work_fn entry);
  // Phase::Queued: hands the run to the runner. true when the runner refused it and the
  // run ended Crashed here (the driver goes on to Finishing).
  bool queue_for_worker(Run& run);
  // The runner's work items: a queued run (claimed, unless a waiter ran it in place), and
  // a run handed over to go on from its phase (a retry condition, final hooks).
  static void attempt_entry(void* arg);
  static void resume_entry(void* arg);
  void publish(const Run& run, const StateEntry& entry, const StateEntry* previous, std::string_view message,
               std::string_view previous_message);

  // --- creation and inputs (engine.cpp, inputs.cpp) ---
  RunRef create(RunScope& scope, const TaskDef& task, std::uint64_t parent_id, std::string params, bool is_flow_run);
  void start(Run& run, std::vector<Upstream> upstreams);
  // false: parked until the last upstream ends (it drives the run on).
  bool await_upstreams(Run& run);
  static void on_upstream_done(void* arg, Run* upstream);
  // NotReady for an upstream that did not complete; resolves future parameters and renders
  // the run name. false when the run ended here.
  bool prepare_inputs(Run& run);
  bool resolve_parameters(Run& run);
  bool render_name(Run& run, const nlohmann::json* params);
  // Ends the run Failed because its inputs could not be made; returns false.
  bool fail_inputs(Run& run, const char* error_type, const char* what_failed, const std::string& why);

  // --- tag slots (slots.cpp) ---
  // For a run with a limited tag: true when it holds its slots (Queued) or ended (a limit
  // of 0: Finishing); false when it is parked in the tag queue.
  bool take_slots(Run& run);
  void release_slots(Run& run);

  // --- one attempt (attempt.cpp) and its timeout (timeouts.cpp) ---
  enum class AttemptEnd { Finished, Failed, Abandoned };
  AttemptEnd run_attempt(Run& run, std::uint32_t inline_depth);
  // --- results from before (caching.cpp) ---
  // A result of the resumed flow run (`resume`, --resume; read from the scope before the
  // attempt's timeout was armed), else the cache under the task's policy: the attempt's end
  // (Cached) on a hit, nothing on a miss. Notes the outcome in the run.
  std::optional<AttemptEnd> reuse_result(Run& run, AttemptContext& ctx, const rh_task_call& call, ResumeSet* resume);
  // SERIALIZABLE isolation: after a miss, waits for the key's lock and looks once more (the
  // holder may have written the result meanwhile). The attempt's end when it ended waiting
  // (a hit, a timeout or a cancellation), nothing when the run is to compute its result.
  // look_again false (a refresh): only the lock.
  std::optional<AttemptEnd> lock_then_look_again(Run& run, AttemptContext& ctx, CacheNote& note, bool look_again);
  // The key's result from memory, else from the store: the attempt's end (Cached) on a hit;
  // on a miss nothing, with note.outcome saying why (*unreadable set when the store could
  // not be read). `after` is added to the hit's message.
  std::optional<AttemptEnd> cached_result(Run& run, std::uint32_t generation, CacheNote& note, std::string_view after,
                                          bool* unreadable = nullptr);
  // Who holds a key lock, for the store's table: "<flow run id>/<run id> <what>".
  static std::string lock_holder(const Run& run, const std::string& what);
  // Frees the key lock the run holds, if any (its record is queued by then).
  void release_key_lock(Run& run);
  AttemptEnd end_cached(Run& run, std::uint32_t generation, std::string result, CacheNote note,
                        const std::string& message);
  // A completed run's result goes to the in-memory cache under its key.
  void remember_result(const Run& run, const std::string& result);
  // Calls the task's function, here or through a runner that runs attempts elsewhere.
  std::int32_t call_task(const Run& run, const rh_task_call& call) const;
  // What an attempt's return code (and the time it returned) means for the run.
  AttemptEnd outcome_of(Run& run, AttemptContext& ctx, std::int32_t code, std::uint32_t generation);

  // --- the store's records (run_records.cpp) ---
  friend class Transaction;
  void record_flow_run_start(const RunScope& scope, const Run& root);
  // The terminal run (the flow run's end, or a task run); without its result and cache
  // entry when its transaction rolled back. The flow run's id comes from the caller: a
  // transaction closed by an attempt its timeout abandoned may record its runs after their
  // scope is gone, so it passes the id it kept.
  void record_in_store(const Run& run, bool with_result, const std::string& flow_run_uuid);
  // A completed run of a transaction: staged there, or persisted or rolled back at once as
  // the transaction's mode and state say. false: not in one (it is recorded as usual).
  bool stage_in_transaction(Run& run);
  // Commit: the runs' records with their results, cache entries, the transactions' own
  // records, then the runs' on_commit hooks. Rollback: records without results, then
  // on_rollback hooks latest first.
  void persist_committed(std::vector<RunRef> runs, std::vector<TransactionRecord> records,
                         const std::string& flow_run_uuid);
  void roll_back_runs(std::vector<RunRef> runs, const std::string& flow_run_uuid);
  void release_key_locks(std::vector<KeyLocks::Hold> holds);
  // The final message of a cancelled attempt.
  std::string cancelled_message(const Run& run, const AttemptContext& ctx, std::int32_t code) const;
  // Runs a queued, not yet started run on the waiting attempt's own stack when the runner
  // allows it. Returns false when it did not (the caller then waits as usual).
  bool run_in_place(Run& target, const AttemptContext& waiter, std::int64_t deadline);
  std::uint32_t arm_attempt(Run& run);
  enum class Closed { Open, Abandoned, PastDeadline };
  Closed close_attempt(Run& run, std::uint32_t generation);
  // An attempt that returned after its deadline failed by timing out.
  void fail_past_deadline(Run& run);
  static void on_attempt_timeout(void* arg);
  void attempt_timed_out(Run& run);
  // Bookkeeping of abandoned_attempts_executing(): a takeover (under the run's lock), and
  // the abandoned attempt's user code returning.
  void count_takeover(Run& run);
  void attempt_returned_after_takeover(Run& run);

  // --- failures and retries (retry.cpp) ---
  struct RetryDecision {
    bool retry = false;
    double delay_seconds = 0;
  };
  bool retries_remain(const Run& run) const;
  RetryDecision decide_retry(Run& run, FailureKind kind, bool ask_condition);
  // Phase::Deciding: retry now (the next phase), park on the retry timer, or end the run.
  // false when the run is parked (on the timer, or handed to a worker to ask its condition).
  bool after_failure(Run& run, Where where);
  void end_failed(Run& run, FailureKind kind);
  bool await_retry(Run& run, double delay_seconds);
  static void on_retry_due(void* arg);

  // --- hooks and the end (hooks.cpp) ---
  void run_hooks(Run& run, std::uint32_t kind);
  // Final hooks (on a worker: elsewhere the run is handed to one first), slot release,
  // terminal event, waiters and callbacks.
  void finish(Run& run, Where where);
  void complete(Run& run);
  void cancel_for_interrupt(Run& run);

  void stop_attempt(Run& run, StopReason reason);
  void track(RunScope* scope, bool add);

  const TaskRegistry& registry_;
  const RunnerLink& runner_;
  EventBus& bus_;
  TimerService& timers_;
  WaiterRegistry& waiters_;
  const TransitionTable& transitions_;
  const IllegalTransitionPolicy on_illegal_;
  TagLimits limits_;
  ResultCache cache_;
  Store* const store_;
  KeyLocks key_locks_;
  const bool no_cache_;
  const bool refresh_cache_;
  // On cache lines of their own: the submitting worker bumps the id of every run it creates,
  // while every worker reads the flag at each step of every run. Next to each other they
  // would make one line bounce between the cores on every run.
  alignas(64) std::atomic<std::uint64_t> next_run_id_{1};
  alignas(64) std::atomic<bool> interrupted_{false};
  char interrupted_line_end_[64 - sizeof(std::atomic<bool>)];
  std::mutex scopes_mutex_;
  std::vector<RunScope*> scopes_;                     // live scopes, for interrupt() and find_run()
  std::atomic<std::int64_t> abandoned_executing_{0};  // rare paths only
};

// A snapshot of a run for hooks, retry conditions and the host API. Pointers into `run`:
// valid while the caller keeps the run unchanged (holds its lock or owns its phase).
rh_run_view make_run_view(const Run& run);

// What log lines about `run` carry (base/log_fields.hpp); views into the run, as above.
LogFields log_fields_of(const Run& run);

}  // namespace rh::host
