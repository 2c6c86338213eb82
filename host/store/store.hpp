// host::Store: the session's embedded SQLite database of flow runs, task runs, their state
// histories, persisted results and cache entries (docs/store.md).
//
// Writes never wait for the disk on the caller's thread: they are queued and committed in
// batches by the store's writer thread, each batch one BEGIN IMMEDIATE transaction, at the
// latest flush_interval after its first record was queued. Only a full queue (the disk
// slower than the tasks, for max_queued records) makes a caller wait: backpressure instead
// of unbounded memory. flush() waits until everything queued so far is committed.
//
// Reads (cache lookups, run history) use connections of their own, so they see only what
// is committed and never block the writer (WAL).
//
// Errors. open() throws StoreError for a path that cannot be a store (a directory, an
// unwritable place, a corrupt file, a schema newer than this build's): one line naming the
// file. A write that fails later (disk full, I/O error, another process holding the lock
// past the busy timeout) does not throw: its records are counted as not persisted
// (write_failures()) and the first error is kept, so the run goes on and the report says
// what is missing.
#pragma once

#include "store/store_records.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoreOptions {
  std::filesystem::path path;
  // Longest a queued record waits before its batch is committed (docs: durable within
  // this plus one commit).
  std::chrono::milliseconds flush_interval{50};
  std::size_t max_queued = 65536;               // records queued before a writer-side caller waits
  std::size_t max_batch = 8192;                 // records per transaction
  std::size_t inline_result_bytes = 64 * 1024;  // larger results go to files beside the db
  // WAL pages (16 KiB) after which a checkpoint runs, on a thread of its own (64 MiB).
  int checkpoint_pages = 4096;
  std::chrono::milliseconds busy_timeout{10000};
  // The most the database file may grow to (0: no limit), as PRAGMA max_page_count; a write
  // past it fails as on a full disk (its records are not persisted, and say so). Config
  // "store.max_size_mb"; tests use it to simulate a full disk.
  std::int64_t max_bytes = 0;
  // How long a key lock (SERIALIZABLE isolation) stays held by a session that stops renewing
  // it, e.g. one killed on another host; renewed every third of it while held.
  std::chrono::milliseconds lock_lease{30000};
  bool read_only = false;  // `runs`, `show`, `store info`: never creates or migrates
};

// Write failures so far.
struct WriteFailures {
  std::uint64_t records = 0;           // records that could not be written
  std::string first_error;             // one line naming the file
  std::vector<std::string> task_runs;  // "<flow run id>/<run no>" of the first 1000 lost task runs
};

class Store {
 public:
  // The schema version this build writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 4;

  // Opens (creating it and its folder if needed, unless read_only) and migrates the store.
  // Throws StoreError.
  explicit Store(StoreOptions options);
  // Commits what is queued, then stops the writer.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const noexcept;

  // --- writes (any thread; queued) ---
  void flow_run_started(FlowRunStart record);
  void flow_run_ended(FlowRunEnd record);
  void task_run_ended(TaskRunRecord record);
  // Replaces any earlier record under the same key.
  void transaction_committed(TransactionRecord record);
  // Waits until everything queued before the call is committed or failed.
  void flush();
  WriteFailures write_failures() const;
  // The most records the write queue ever held at once: never above max_queued (tests).
  std::size_t queued_high_water() const;

  // --- key locks: SERIALIZABLE isolation across processes (docs/store.md, "Isolation") ---
  // Asks for `key` for this store object's owner; `done` runs on the store's lock thread once
  // the key is held here (a token) or cannot be (an error). A key another owner holds is
  // asked for again with a backoff (5 ms doubling to 200 ms) until it is released, its lease
  // runs out, or its owner's process on this host is gone. `holder` says who asks, for
  // people reading the table. Never blocks the caller.
  void acquire_lock(std::string key, std::string holder, std::function<void(LockGrant)> done);
  // Frees the key once the records queued before this call are committed.
  void release_lock(std::string key, std::string token);
  // Drops every request not yet answered; once it returns, no `done` runs any more.
  void cancel_lock_requests();

  // --- reads (any thread) ---
  // The entry under `key`, unless absent or expired at now_us (wall clock, Unix µs).
  CacheLookup lookup_cache(const std::string& key, std::int64_t now_us);
  // The committed transaction under `key`, if any (only what is committed: not what is
  // still queued).
  std::optional<TransactionRecord> find_transaction(const std::string& key);
  // The flow run `ref` names: a full id, a prefix of one (any length, capitals read as
  // lowercase) that no other id shares, or "last" (the latest started). Throws StoreError
  // when no run or more than one matches (the message says which).
  FlowRunSummary find_flow_run(std::string_view ref);
  // The shortest prefix of `flow_run_id`, at least `min_length` characters, that names no
  // other flow run in the store (time-ordered ids share their first characters for runs
  // started within a minute or so, so a fixed 8 may not be enough).
  std::string short_id(const std::string& flow_run_id, std::size_t min_length = 8);
  // Latest first.
  std::vector<FlowRunSummary> list_flow_runs(const FlowRunFilter& filter);
  // Its task runs in run number order (results included).
  std::vector<TaskRunRecord> task_runs_of(const std::string& flow_run_id);
  // The same one at a time, from one snapshot, so that a flow run of a million task runs
  // never is in memory at once (`runner-host show`). `visit` must not use the store.
  void each_task_run(const std::string& flow_run_id, const std::function<void(TaskRunRecord&&)>& visit);
  // The final record of the flow run itself (history, result, error), if it ended.
  std::optional<FlowRunEnd> flow_run_end(const std::string& flow_run_id);
  StoreInfo info();
  // Removes flow runs that ended (or started, if they never ended) before `before_us`, with
  // their task runs and result files, except task runs an unexpired cache entry points at;
  // and every expired cache entry.
  PruneResult prune(std::int64_t before_us);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rh::host
