/*
 * runner-host plugin ABI, version 1.3.
 *
 * This header is the only thing that crosses a shared-library boundary between the
 * runner-host process and its plugins (task libraries and runners). It is plain C11
 * and includes nothing but <stdint.h>, <stddef.h> and <stdbool.h>.
 *
 * Rules that keep it stable (see docs/abi.md):
 *  - A plugin exports exactly one symbol, RH_ENTRY_SYMBOL, returning a const descriptor.
 *    Everything else is reached through tables of function pointers.
 *  - Every struct crossing the boundary starts with `uint32_t struct_size` and only
 *    grows at the end. A reader checks struct_size before touching a trailing field
 *    (RH_HAS_FIELD below).
 *  - Only C types cross: fixed-width integers (never C enums inside structs), double,
 *    UTF-8 text as pointer + length (rh_str), opaque handles and `void* user_data`.
 *  - Ownership is stated next to every pointer. Memory is freed by the side that
 *    allocated it; the host copies whatever a plugin hands it.
 *  - Threading tags on every function:
 *      [any-thread]     callable from any thread, including runner workers and fibers;
 *      [runner-worker]  only from code the active runner is executing (a task, flow or hook);
 *      [host-main]      only from the thread that loaded the plugin / created the runner.
 *    "may block" means: on the fiber runner the calling fiber is suspended, on the TBB
 *    runner the calling task is suspended and its worker runs other work; only a thread
 *    that belongs to no runner is really blocked.
 *  - Parameters and results cross as JSON text (UTF-8).
 *  - New features arrive as fields appended to these structs (ABI minor versions, marked
 *    below) or as extensions looked up by a versioned id such as "rh.host_info/1"
 *    (rh_host_api.get_extension, rh_plugin_descriptor.get_extension,
 *    rh_runner_host.get_extension). An id never changes meaning: a new version of an
 *    extension gets a new id.
 */
#ifndef RUNNER_HOST_ABI_H
#define RUNNER_HOST_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RH_ABI_VERSION_MAJOR 1u
#define RH_ABI_VERSION_MINOR 3u

/* The one symbol a plugin exports (see rh_plugin_entry_fn). */
#define RH_ENTRY_SYMBOL "rh_plugin_entry"

#if defined(_WIN32)
#define RH_EXPORT __declspec(dllexport)
#else
#define RH_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
#define RH_EXTERN_C extern "C"
extern "C" {
#else
#define RH_EXTERN_C
#endif

/* True when a struct of the given (reported) size contains FIELD entirely. */
#define RH_HAS_FIELD(ptr, type, field) ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ---------------------------------------------------------------- basic types */

/* Status codes returned across the boundary. */
#define RH_OK 0
#define RH_ERROR 1             /* failure; a message went to the rh_error_sink */
#define RH_TIMEOUT 2           /* a deadline passed first */
#define RH_CANCELLED 3         /* the calling attempt was cancelled (interrupt, shutdown) */
#define RH_NOT_DONE 4          /* the run has not reached a terminal state yet */
#define RH_EMPTY 5             /* nothing left to wait for */
#define RH_TIMED_OUT_ATTEMPT 6 /* the calling attempt passed its timeout */
#define RH_STOPPED 7           /* the waiter was stopped */

/* UTF-8 text, not necessarily NUL-terminated. {NULL, 0} is the empty string. */
typedef struct rh_str {
  const char* data;
  size_t size;
} rh_str;

/* Time in nanoseconds on CLOCK_MONOTONIC (rh_host_api.now_ns; std::chrono::steady_clock on
 * Linux): every deadline in this ABI is on this clock. */
typedef int64_t rh_time_ns;
#define RH_DEADLINE_NONE INT64_MAX

/* Log levels, spdlog's order. */
#define RH_LOG_TRACE 0u
#define RH_LOG_DEBUG 1u
#define RH_LOG_INFO 2u
#define RH_LOG_WARN 3u
#define RH_LOG_ERROR 4u
#define RH_LOG_CRITICAL 5u

/* State types (DESIGN.md section 4). The name distinguishes e.g. Completed from Cached. */
#define RH_STATE_PENDING 0u
#define RH_STATE_SCHEDULED 1u
#define RH_STATE_RUNNING 2u
#define RH_STATE_COMPLETED 3u
#define RH_STATE_FAILED 4u
#define RH_STATE_CRASHED 5u
#define RH_STATE_CANCELLED 6u

/*
 * Where a callee reports an error: it calls set() at most once with an exception type
 * name and a message. The host copies both during the call; the callee keeps ownership.
 * [any-thread]
 */
typedef struct rh_error_sink {
  uint32_t struct_size;
  void* host_data;
  void (*set)(struct rh_error_sink* sink, rh_str type, rh_str message);
} rh_error_sink;

/* Opaque handles, all owned by the host unless said otherwise. */
typedef struct rh_context rh_context; /* one executing task/flow/hook call; valid during the call */
typedef struct rh_run rh_run;         /* a task run; reference counted (run_retain/run_release) */
typedef struct rh_event rh_event;     /* a set-once waitable; created and freed through the API */
typedef struct rh_waitset rh_waitset; /* a set of runs to wait on in completion order */
typedef struct rh_waiter rh_waiter;   /* a TaskRunWaiter */
typedef struct rh_txn rh_txn;         /* an open transaction of an attempt (ABI 1.3) */
typedef struct rh_runner rh_runner;   /* a runner instance; owned by the runner plugin */

/*
 * A read-only view of one run, handed to hooks, retry conditions and snapshot visitors.
 * Every pointer stays valid only during the call that receives the view; copy what
 * you keep. Text fields are empty when absent.
 */
typedef struct rh_run_view {
  uint32_t struct_size;
  uint64_t run_id;
  uint64_t flow_run_id; /* 0 when the run belongs to no flow */
  rh_str task_name;
  rh_str run_name;
  uint32_t state_type; /* RH_STATE_* */
  uint32_t run_count;  /* attempts started so far */
  rh_str state_name;
  rh_str state_message;
  rh_str params_json; /* resolved parameters */
  rh_str result_json; /* set when the state is COMPLETED-type */
  rh_str error_type;  /* set after a failed attempt or a failed/crashed final state */
  rh_str error_message;
  bool is_final; /* the run reached its terminal state and will not change again */
} rh_run_view;

typedef void (*rh_run_visitor)(void* user_data, const rh_run_view* view);

/* ---------------------------------------------------------------- host API */

/* One dependency of a submission (rh_submit_request.wait_for). */
#define RH_DEP_ALLOW_FAILURE 1u /* a failed or NotReady upstream does not block the run */
typedef struct rh_dependency {
  uint32_t struct_size;
  uint32_t flags; /* RH_DEP_* */
  rh_run* run;    /* borrowed for the duration of the submit call */
} rh_dependency;

/*
 * A request to create a task run. Futures inside params_json are written as
 * {"$rh_future": <run id>} (optionally with "allow_failure": true); the host waits for
 * them, replaces each by the upstream's result and records it as an input.
 */
typedef struct rh_submit_request {
  uint32_t struct_size;
  rh_str task_name;
  rh_str params_json; /* a JSON object; empty means {} */
  const rh_dependency* wait_for;
  size_t wait_for_count;
} rh_submit_request;

typedef void (*rh_done_callback)(void* user_data, rh_run* run);
typedef void (*rh_timer_callback)(void* user_data);
typedef void (*rh_waiter_callback)(void* user_data, uint64_t run_id);

/*
 * Services the host offers every plugin. The host passes the same table to every plugin
 * at load; it stays valid until the process exits (keep the pointer, see rh_host_offer).
 *
 * One process may run several independent host sessions, each with its own runner, event
 * stream, waiter and timers. Functions that take a ctx, run, event or wait set reach the
 * session through it. The few that take nothing (waiter_instance, waiter_create and the
 * 1.0 timer functions) serve the session whose code is running on the calling thread: a
 * task, flow or hook, a done callback the engine runs, or a call the host made into the
 * runner. On any other thread they have no session and say so (NULL, or 0).
 */
/* Where a function hands text back to the host (ABI 1.3). set copies the text. */
typedef struct rh_text_sink {
  uint32_t struct_size;
  void* host_data;
  void (*set)(struct rh_text_sink* sink, rh_str text);
} rh_text_sink;

/* Transactions (ABI 1.3; docs/transactions.md). */
#define RH_TXN_INHERIT 0u /* commit mode: the enclosing transaction's, LAZY at the top */
#define RH_TXN_LAZY 1u    /* a nested commit defers to the enclosing transaction */
#define RH_TXN_EAGER 2u   /* commits on exit even when nested; runs in it persist as they complete */
#define RH_TXN_OFF 3u     /* rolls back on exit unless committed explicitly */
#define RH_TXN_EXIT_NORMAL 0u
#define RH_TXN_EXIT_EXCEPTION 1u
/* States of a transaction. */
#define RH_TXN_ACTIVE 0u
#define RH_TXN_STAGED 1u /* committed, waiting for the enclosing transaction to commit */
#define RH_TXN_COMMITTED 2u
#define RH_TXN_ROLLED_BACK 3u
/* Isolation (read when struct_size covers the field; READ_COMMITTED otherwise). */
#define RH_TXN_READ_COMMITTED 0u
#define RH_TXN_SERIALIZABLE 1u /* holds the key's lock from begin to commit, across processes */
typedef struct rh_txn_options {
  uint32_t struct_size;
  uint32_t commit_mode; /* RH_TXN_INHERIT, RH_TXN_LAZY, RH_TXN_EAGER or RH_TXN_OFF */
  rh_str key;           /* what it commits under; empty: no record of its own */
  uint32_t isolation;   /* RH_TXN_READ_COMMITTED or RH_TXN_SERIALIZABLE (needs a key) */
} rh_txn_options;

typedef struct rh_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;

  /* Memory for buffers a plugin wants the host to own. Offered for plugins that hand the
   * host memory to free; nothing in ABI 1.x requires them: the host copies what it is
   * given. [any-thread] */
  void* (*alloc)(size_t size);
  void (*free)(void* ptr);

  /* Writes one log line through the host's logger. [any-thread] */
  void (*log)(uint32_t level, rh_str logger, rh_str message);

  /* CLOCK_MONOTONIC in nanoseconds: the clock of every deadline in this ABI. [any-thread] */
  rh_time_ns (*now_ns)(void);

  /* --- the running call (ctx is only valid during the call it was given to) --- */

  /* Log line attributed to the run (task, run name, attempt). [runner-worker] */
  void (*ctx_log)(rh_context* ctx, uint32_t level, rh_str message);
  /* Sleeps for duration_ns. Ends early with RH_TIMED_OUT_ATTEMPT at the attempt's
   * deadline or RH_CANCELLED on cancellation; RH_OK when the full time passed.
   * [runner-worker, may block] */
  int32_t (*ctx_sleep)(rh_context* ctx, rh_time_ns duration_ns);
  /* Lets other work on this worker run. [runner-worker] */
  void (*ctx_yield)(rh_context* ctx);
  /* RH_OK, RH_CANCELLED or RH_TIMED_OUT_ATTEMPT: whether the attempt should stop. [any-thread] */
  int32_t (*ctx_status)(rh_context* ctx);
  /* The attempt's deadline (RH_DEADLINE_NONE without a timeout). [any-thread] */
  rh_time_ns (*ctx_deadline)(rh_context* ctx);
  /* The outcome of a task call: exactly one of these, at most once. The host copies. */
  void (*ctx_set_result)(rh_context* ctx, rh_str result_json);
  void (*ctx_set_error)(rh_context* ctx, rh_str type, rh_str message);

  /* --- task runs (futures) --- */

  /* Creates a task run as a child of ctx's run (or of ctx's flow). On success *out holds
   * one reference the caller must release. RH_ERROR with a message for an unknown task,
   * bad params JSON or a run waiting on itself; RH_CANCELLED (nothing created) once the
   * host was interrupted. [runner-worker; never blocks] */
  int32_t (*submit)(rh_context* ctx, const rh_submit_request* request, rh_run** out, rh_error_sink* err);
  void (*run_retain)(rh_run* run);  /* [any-thread] */
  void (*run_release)(rh_run* run); /* [any-thread] */
  uint64_t (*run_id)(rh_run* run);  /* [any-thread] */
  /* Waits until the run is terminal: RH_OK, or RH_TIMEOUT when the deadline passes first.
   * Called from inside an attempt it also ends with RH_CANCELLED / RH_TIMED_OUT_ATTEMPT
   * when that attempt must stop, and with RH_ERROR (message in err) when the attempt's
   * own run would wait on itself. [any-thread, may block] */
  int32_t (*run_wait)(rh_run* run, rh_time_ns deadline, rh_error_sink* err);
  /* Calls visitor once, synchronously, with a consistent snapshot of the run. [any-thread] */
  void (*run_snapshot)(rh_run* run, rh_run_visitor visitor, void* user_data);
  /* Registers a callback for the run's terminal state. Runs exactly once: at once in the
   * caller's thread if the run already ended, else in the thread that ends the run.
   * The callback must not block. [any-thread] */
  void (*run_on_done)(rh_run* run, rh_done_callback callback, void* user_data);

  /* --- wait sets: completion order over many runs (wait/as_completed/gather) --- */
  rh_waitset* (*waitset_create)(void);               /* [any-thread] */
  void (*waitset_add)(rh_waitset* set, rh_run* run); /* retains run; [any-thread] */
  /* Next run to finish, in completion order. *out is borrowed from the set (valid until
   * waitset_destroy). RH_OK, RH_TIMEOUT, RH_EMPTY when every added run was returned, or
   * inside an attempt RH_CANCELLED / RH_TIMED_OUT_ATTEMPT. [any-thread, may block] */
  int32_t (*waitset_next)(rh_waitset* set, rh_time_ns deadline, rh_run** out);
  void (*waitset_destroy)(rh_waitset* set); /* [any-thread] */

  /* --- events: set-once waitables implemented by the active runner --- */
  rh_event* (*event_create)(void);       /* [any-thread] */
  void (*event_set)(rh_event* event);    /* wakes every waiter; stays set; [any-thread] */
  bool (*event_is_set)(rh_event* event); /* [any-thread] */
  /* RH_OK when set, RH_TIMEOUT at the deadline; inside an attempt also RH_CANCELLED /
   * RH_TIMED_OUT_ATTEMPT when that attempt must stop. [any-thread, may block] */
  int32_t (*event_wait)(rh_event* event, rh_time_ns deadline);
  void (*event_destroy)(rh_event* event); /* no waiter may remain; [any-thread] */

  /* --- timers, run by the session's timer thread. Callbacks must be short and never block.
   * Runners built for ABI 1.2 use rh_runner_host's timers instead, which always know their
   * session; these serve the calling thread's session (see above). */
  /* Returns an id > 0 to cancel with, or 0 when the calling thread has no session.
   * [any-thread] */
  uint64_t (*timer_schedule)(rh_time_ns deadline, rh_timer_callback callback, void* user_data);
  /* true when the timer was removed before its callback started. [any-thread] */
  bool (*timer_cancel)(uint64_t timer_id);

  /* --- TaskRunWaiter: waits on run ids through the session's event stream --- */
  /* The session's waiter (the same handle until waiter_stop). Returns a new reference, or
   * NULL when the calling thread has no session. */
  rh_waiter* (*waiter_instance)(void);
  /* A private waiter on the session's events; max_entries/ttl 0 mean the defaults
   * (10,000 / 600 s). NULL when the calling thread has no session. */
  rh_waiter* (*waiter_create)(uint64_t max_entries, double ttl_seconds);
  void (*waiter_release)(rh_waiter* waiter);
  /* Stops the waiter: pending and later waits return RH_STOPPED; instance() then makes a
   * new one. */
  void (*waiter_stop)(rh_waiter* waiter);
  /* RH_OK (visitor called with the final state), RH_TIMEOUT, RH_STOPPED, inside an attempt
   * RH_CANCELLED / RH_TIMED_OUT_ATTEMPT, or RH_ERROR (a run waiting on itself).
   * [any-thread, may block] */
  int32_t (*waiter_wait)(rh_waiter* waiter, uint64_t run_id, rh_time_ns deadline, rh_run_visitor visitor,
                         void* user_data, rh_error_sink* err);
  /* Every callback registered for an id runs exactly once; at once if the run already
   * ended (from the completion cache). Callbacks must not block. [any-thread] */
  void (*waiter_add_done_callback)(rh_waiter* waiter, uint64_t run_id, rh_waiter_callback callback, void* user_data);

  /* --- ABI 1.2 --- */
  /* The host's extension with this id (e.g. RH_EXT_HOST_INFO), or NULL when this host has
   * none by that id. The pointer stays valid until the process exits; what it points to is
   * described where the id is defined. [any-thread] */
  const void* (*get_extension)(rh_str id);

  /* --- ABI 1.3: transactions (docs/transactions.md) ---
   * Every rh_txn belongs to the attempt that began it and is used from its task code only.
   * Runs that attempt submits while the transaction is the innermost open one join it. */
  /* Begins a transaction nested in the attempt's innermost open one (if any). RH_ERROR with
   * a message for a bad commit mode. [runner-worker] */
  int32_t (*txn_begin)(rh_context* ctx, const rh_txn_options* options, rh_txn** out, rh_error_sink* err);
  /* Commits (or stages, when it defers to an enclosing LAZY one). Returns RH_TXN_* of the
   * transaction afterwards: RH_TXN_ROLLED_BACK when it had been rolled back already.
   * Runs on_commit hooks of the runs it persists. [runner-worker] */
  uint32_t (*txn_commit)(rh_txn* txn);
  /* Rolls back (and every enclosing transaction with it); RH_TXN_* afterwards (a committed
   * or staged one stays so). Runs on_rollback hooks in reverse completion order.
   * [runner-worker] */
  uint32_t (*txn_rollback)(rh_txn* txn);
  /* Ends the scope: an ACTIVE transaction commits, or rolls back when left by an exception
   * (RH_TXN_EXIT_EXCEPTION) or in RH_TXN_OFF mode. Frees the handle. [runner-worker] */
  void (*txn_close)(rh_txn* txn, uint32_t how);
  uint32_t (*txn_state)(rh_txn* txn); /* RH_TXN_* [runner-worker] */
  /* Whether a transaction under the same key had committed before this one began.
   * [runner-worker] */
  bool (*txn_is_committed)(rh_txn* txn);
  /* Stores a JSON value under name (visible to nested transactions). RH_ERROR for text
   * that is not JSON. [runner-worker] */
  int32_t (*txn_set)(rh_txn* txn, rh_str name, rh_str value_json, rh_error_sink* err);
  /* The value under name, from this transaction or the nearest enclosing one that has it:
   * RH_OK (value set), or RH_EMPTY. [runner-worker] */
  int32_t (*txn_get)(rh_txn* txn, rh_str name, rh_text_sink* value);
} rh_host_api;

/* Extension "rh.host_info/1": which host a plugin runs in, e.g. for its own log lines. */
#define RH_EXT_HOST_INFO "rh.host_info/1"
typedef struct rh_host_info {
  uint32_t struct_size;
  rh_str name;    /* "runner-host" */
  rh_str version; /* the host's release, e.g. "0.2.0" */
} rh_host_info;

/* ---------------------------------------------------------------- task libraries */

/* What the host passes to a task, flow or hook call. Valid during the call only. */
typedef struct rh_task_call {
  uint32_t struct_size;
  rh_context* ctx;
  uint64_t run_id;
  uint64_t flow_run_id; /* 0 outside a flow */
  uint32_t run_count;   /* attempt number, from 1 */
  rh_str task_name;
  rh_str run_name;
  rh_str params_json; /* resolved parameters, a JSON object */
} rh_task_call;

/*
 * Runs one attempt. Reports the outcome through ctx_set_result / ctx_set_error and
 * returns RH_TASK_* to classify it. Must not let a C++ exception escape.
 * [runner-worker, may block]
 */
#define RH_TASK_COMPLETED 0 /* ctx_set_result was called (or the result is JSON null) */
#define RH_TASK_FAILED 1    /* an error the engine may retry */
#define RH_TASK_CRASHED 2   /* something that was not an error object was thrown */
#define RH_TASK_CANCELLED 3 /* the task stopped because its attempt was cancelled */
#define RH_TASK_TIMED_OUT 4 /* the task raised a timeout error of its own (counts as a timeout) */
typedef int32_t (*rh_task_fn)(void* user_data, const rh_task_call* call);

/* Hook kinds. */
#define RH_HOOK_ON_RUNNING 0u
#define RH_HOOK_ON_COMPLETION 1u
#define RH_HOOK_ON_FAILURE 2u
#define RH_HOOK_ON_CRASHED 3u
#define RH_HOOK_ON_COMMIT 4u   /* ABI 1.3: the run's result was persisted by its transaction */
#define RH_HOOK_ON_ROLLBACK 5u /* ABI 1.3: its transaction rolled back after the run completed */

/* A state hook. Returns RH_OK, or RH_ERROR after reporting to err. [runner-worker] */
typedef struct rh_hook {
  uint32_t struct_size;
  uint32_t kind; /* RH_HOOK_* */
  rh_str name;   /* for log lines; static storage in the plugin */
  int32_t (*call)(void* user_data, const rh_run_view* run, rh_error_sink* err);
  void* user_data;
} rh_hook;

/* Decides whether a failed attempt is retried: 1 retry, 0 do not, -1 error in err. */
typedef int32_t (*rh_retry_condition_fn)(void* user_data, const rh_run_view* run, rh_error_sink* err);

/*
 * A task's own cache key (ABI 1.3), asked before each attempt with the call the task itself
 * would get (resolved parameters; call->ctx valid for logging). Returns 1 after setting the
 * key, 0 for "do not cache this run", -1 after reporting to err (the run is not cached and
 * the host warns, naming the task). [runner-worker]
 */
typedef int32_t (*rh_cache_key_fn)(void* user_data, const rh_task_call* call, rh_text_sink* key, rh_error_sink* err);

#define RH_TASK_KIND_TASK 0u
#define RH_TASK_KIND_FLOW 1u

/*
 * One task or flow of a library. All pointers are owned by the plugin and stay valid
 * until the process exits (libraries are never unloaded).
 */
typedef struct rh_task_def {
  uint32_t struct_size;
  uint32_t kind; /* RH_TASK_KIND_* */
  rh_str name;
  rh_str description;
  /* Options as a JSON object: retries, retry_delay, retry_jitter_factor, timeout_seconds,
   * tags, task_run_name, cache; see docs/options.md. Empty means {}. */
  rh_str options_json;
  rh_task_fn run;
  void* user_data;
  const rh_hook* hooks;
  size_t hook_count;
  rh_retry_condition_fn retry_condition; /* NULL: every failure is retried while retries remain */
  void* retry_condition_user_data;

  /* --- ABI 1.3 --- */
  rh_cache_key_fn cache_key_fn; /* NULL: the key comes from the "cache" option's policy */
  void* cache_key_user_data;
} rh_task_def;

/* What a task library registers. Owned by the plugin; valid until process exit. */
typedef struct rh_task_library {
  uint32_t struct_size;
  rh_str name;
  rh_str version;
  const rh_task_def* tasks;
  size_t task_count;
} rh_task_library;

/* ---------------------------------------------------------------- runners */

/* A unit of work the engine hands a runner: run(arg) exactly once. */
#define RH_WAIT_SLEEP 1u /* event_wait flag: the caller sleeps; do not run other work meanwhile */
typedef void (*rh_work_fn)(void* arg);

/*
 * What the session that created a runner instance offers it (ABI 1.2): timers on the
 * session's timer thread, logging attributed to the runner, and extensions. Handed over by
 * rh_runner_api.set_host; stays valid until destroy returns. Every function takes the
 * pointer it was given.
 */
typedef struct rh_runner_host {
  uint32_t struct_size;
  void* host_data; /* the session's; do not touch */
  /* Runs callback(user_data) on the timer thread at or after deadline. Returns an id > 0.
   * Callbacks must be short and never block. [any-thread] */
  uint64_t (*timer_schedule)(const struct rh_runner_host* host, rh_time_ns deadline, rh_timer_callback callback,
                             void* user_data);
  /* true when the timer was removed before its callback started. [any-thread] */
  bool (*timer_cancel)(const struct rh_runner_host* host, uint64_t timer_id);
  /* A log line attributed to this runner. [any-thread] */
  void (*log)(const struct rh_runner_host* host, uint32_t level, rh_str message);
  /* As rh_host_api.get_extension, for extensions that belong to this session. [any-thread] */
  const void* (*get_extension)(const struct rh_runner_host* host, rh_str id);
} rh_runner_host;

/*
 * A runner: executes work items and implements the scheduling services. Every function
 * receives the rh_runner created by create(). Lifecycle, driven by the host on one thread
 * (the "home" thread, [host-main]):
 *
 *   create -> set_host -> start -> submit* / services -> shutdown -> destroy
 *
 * Only event_wait and yield may suspend the calling fiber or task. submit, event_create,
 * event_set, event_is_set and event_destroy must return without suspending: the host calls
 * them while holding short spin locks, and relies on knowing where execution can switch.
 *
 * Events. The host makes one event per wait (a wake token), sets it at most a few times,
 * and destroys it once: the waiter registers the token under the lock of what it waits on,
 * blocks in event_wait, then takes that lock again to unregister before it calls
 * event_destroy, and every event_set happens under that same lock. So event_set and
 * event_destroy of one event never overlap, and no event_wait is in progress when
 * event_destroy is called: a runner needs no reference counting of its own for that.
 *
 * Required: create, start, submit, shutdown, destroy, event_create, event_set, event_wait,
 * event_destroy, yield. Optional (NULL loads): concurrency and event_is_set, which the host
 * does not need, and the fields appended in later minors (a table too small for them, as
 * built for an older ABI, loads too).
 */
typedef struct rh_runner_api {
  uint32_t struct_size;
  /* Parses options (a JSON object; unknown keys are errors naming the key) and creates an
   * instance without starting anything. Returns NULL after reporting to err. The instance
   * may be created several times in one process, once per session. Anything the runner
   * needs from the host it takes from the rh_host_api table its plugin kept at entry
   * (rh_host_offer.host) and, from ABI 1.2, from set_host. [host-main] */
  rh_runner* (*create)(rh_str options_json, rh_error_sink* err);
  /* Starts workers. The calling thread becomes the runner's home thread. RH_OK, or RH_ERROR
   * with a message in err (threads could not be started, a second start); the host then
   * destroys the instance without calling shutdown. [host-main] */
  int32_t (*start)(rh_runner* runner, rh_error_sink* err);
  /* Runs fn(arg) exactly once, soon. RH_ERROR (message in err) before start or after
   * shutdown began. Never blocks, except that a runner without workers (sequential) may
   * run fn at once on the calling thread. [any-thread] */
  int32_t (*submit)(rh_runner* runner, rh_work_fn fn, void* arg, rh_error_sink* err);
  /* Refuses new work from now on (submit returns RH_ERROR), then waits until every item
   * already submitted has returned, including items parked in event_wait until their
   * events are set or their deadlines pass. Called once, on the home thread, after start;
   * the host has no work of its own left by then. [host-main] */
  void (*shutdown)(rh_runner* runner);
  /* Frees the instance: after shutdown, or after a failed start. [host-main] */
  void (*destroy)(rh_runner* runner);
  /* Worker threads (1 for sequential), for log lines. Optional. [any-thread] */
  uint32_t (*concurrency)(rh_runner* runner);

  /* Scheduling services; the host builds sleep/wait/cancellation on them. */
  rh_event* (*event_create)(rh_runner* runner);          /* [any-thread] */
  void (*event_set)(rh_runner* runner, rh_event* event); /* wakes the waiter; [any-thread] */
  /* Whether event_set was called. Optional: the host keeps its own flags. [any-thread] */
  bool (*event_is_set)(rh_runner* runner, rh_event* event);
  /* RH_OK once set, RH_TIMEOUT at the deadline. Suspends the fiber or task on a worker,
   * blocks a foreign thread. Never deadlocks the pool: a runner that has no way to
   * suspend (sequential) runs queued work while it waits, unless flags has
   * RH_WAIT_SLEEP, which marks a plain sleep. [any-thread, may block] */
  int32_t (*event_wait)(rh_runner* runner, rh_event* event, rh_time_ns deadline, uint32_t flags);
  void (*event_destroy)(rh_runner* runner, rh_event* event); /* [any-thread] */
  /* Lets other ready work run on this worker. [any-thread] */
  void (*yield)(rh_runner* runner);

  /* --- ABI 1.1 --- */
  /* How many runs deep the engine may nest on a worker's stack. When task code waits, with
   * no deadline, for a run that is queued but not started, the engine runs that run right
   * there instead of suspending the waiter (the "join runs the child" of TBB and
   * ForkJoin): no suspension, no extra stack, and fork-join code stays depth-first.
   * Return 0 for "never"; a runner whose stacks are small should. Called once, after
   * create. Optional: NULL, or absent in a 1.0 table, means 0. [host-main] */
  uint32_t (*inline_depth)(rh_runner* runner);

  /* --- ABI 1.2 --- */
  /* Hands the instance its session's services, once, after create and before start; host
   * stays valid until destroy returns. Optional: a runner without it (or built for 1.1)
   * uses rh_host_api's timer functions, which then serve the session that is calling into
   * the runner. [host-main] */
  void (*set_host)(rh_runner* runner, const rh_runner_host* host);
} rh_runner_api;

/* ---------------------------------------------------------------- remote attempts */

/*
 * A runner that executes attempts in other processes (the process runner, the MPI runner)
 * answers this id in rh_plugin_descriptor.get_extension. The engine then gives it each
 * attempt of a task from a task library file as a description instead of calling the
 * task's function itself; everything else (flows, tasks of a program's own library, hooks,
 * retry conditions, cache keys) still runs in the host on the runner's work items. An
 * extension, not a minor: runners and task libraries of ABI 1.0 to 1.3 load unchanged.
 */
#define RH_EXT_REMOTE_ATTEMPTS "rh.remote_attempts/1"

/* What execute may return besides RH_TASK_*: the process that ran the attempt died or was
 * killed (the run ends Crashed with the message given to ctx_set_error, verbatim). */
#define RH_TASK_WORKER_LOST 16

/* One attempt, described so that another process can run it. Valid during execute only. */
typedef struct rh_remote_attempt {
  uint32_t struct_size;
  const rh_task_call* call; /* the call the engine would have made; call->ctx serves the attempt */
  rh_str library_path;      /* the file of the task's library, as the host loaded it */
  rh_time_ns deadline;      /* the attempt's timeout, or RH_DEADLINE_NONE */
} rh_remote_attempt;

typedef struct rh_remote_attempts {
  uint32_t struct_size;
  /* The task library files of the session, in load order, before start: every process
   * the runner starts loads them. RH_ERROR with a message in err refuses them. [host-main] */
  int32_t (*set_libraries)(rh_runner* runner, const rh_str* paths, size_t count, rh_error_sink* err);
  /* Runs the attempt elsewhere and returns its RH_TASK_* code (or RH_TASK_WORKER_LOST),
   * after handing its result or error to call->ctx through rh_host_api.ctx_set_result /
   * ctx_set_error. The host calls made by the task's code there are made here, on the
   * calling thread, with call->ctx. Called on a worker of this runner, inside the attempt.
   * [runner-worker, may block] */
  int32_t (*execute)(rh_runner* runner, const rh_remote_attempt* attempt);
} rh_remote_attempts;

/* A runner whose workers are copies of the host's own command line (the MPI runner: every
 * rank starts `runner-host`) answers this id in rh_plugin_descriptor.get_extension. The host
 * asks it first, before it opens a store or loads a task library, which part this process
 * plays; a worker serves the coordinator (the host of the run) and never runs a flow. */
#define RH_EXT_WORKER_ROLE "rh.worker_role/1"

#define RH_ROLE_COORDINATOR 16 /* this process is the host: go on as usual */
#define RH_ROLE_SERVED 17      /* it served as a worker; exit with *exit_code (apart from RH_ERROR) */

typedef struct rh_worker_role {
  uint32_t struct_size;
  /* With the runner's options (a JSON object, as create gets them): RH_ROLE_COORDINATOR,
   * RH_ROLE_SERVED once the coordinator ended this worker, or RH_ERROR with a message in
   * err (bad options, no workers to coordinate). Called once, before create. [host-main] */
  int32_t (*take_role)(rh_str options_json, int32_t* exit_code, rh_error_sink* err);
} rh_worker_role;

/* ---------------------------------------------------------------- entry point */

#define RH_PLUGIN_KIND_TASK_LIBRARY 1u
#define RH_PLUGIN_KIND_RUNNER 2u

/* What the host offers in negotiation. Valid during the entry call only: a plugin keeps
 * the host pointer (valid until the process exits), never the offer itself. */
typedef struct rh_host_offer {
  uint32_t struct_size;
  uint32_t abi_major;     /* the host speaks exactly this major */
  uint32_t abi_minor_max; /* and every minor up to this one */
  const rh_host_api* host;
} rh_host_offer;

/*
 * The plugin's answer. Static storage in the plugin; valid until process exit.
 * The host refuses a plugin whose abi_major differs from its own, naming both versions.
 */
typedef struct rh_plugin_descriptor {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t kind; /* RH_PLUGIN_KIND_* */
  rh_str name;
  rh_str version;
  /* Task libraries: builds the library once. Returns NULL after reporting to err
   * (e.g. the registration code threw). [host-main] */
  const rh_task_library* (*load_library)(rh_error_sink* err);
  /* Runners: the runner's function table. */
  const rh_runner_api* runner;

  /* --- ABI 1.2 --- */
  /* The plugin's extension with this id, or NULL. Task libraries answer once
   * load_library returned. Optional. [any-thread] */
  const void* (*get_extension)(rh_str id);
} rh_plugin_descriptor;

/*
 * The exported entry: negotiates and returns the descriptor. Never NULL: on a version it
 * cannot serve (another major, or a host table too small for what the plugin calls), it
 * still returns its descriptor with its own abi_major/abi_minor, so the host can refuse it
 * with a message naming both versions (a task library may also fail later, in
 * load_library, with its reason). [host-main]
 */
typedef const rh_plugin_descriptor* (*rh_plugin_entry_fn)(const rh_host_offer* offer);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNNER_HOST_ABI_H */
