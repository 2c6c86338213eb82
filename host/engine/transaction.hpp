// A transaction of task code (docs/transactions.md): the unit in which the results of the
// runs that join it are persisted, or not. It begins in an attempt (TaskContext::
// transaction) nested in that attempt's innermost open one, or in the one the attempt's own
// run joined; runs the attempt submits while it is open join it.
//
// A run that completes in an open transaction is staged there: its result, cache entry and
// store record wait for the commit (so a second identical run inside it is not a cache hit,
// as in Prefect). Commit persists them and runs their on_commit hooks, in completion order;
// rollback records them without their results and runs their on_rollback hooks, latest
// first. A LAZY transaction nested in an open one stages itself in its parent instead of
// committing; an EAGER one commits on exit even when nested, and the runs in it persist as
// they complete; OFF rolls back on exit unless committed explicitly. A rollback rolls the
// enclosing transactions back too.
#pragma once

#include "engine/key_locks.hpp"
#include "engine/run_ref.hpp"
#include "store/store_records.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/intrusive_ptr.hpp>

namespace rh::host {

class Engine;

enum class CommitMode : std::uint8_t { Lazy, Eager, Off };
enum class TxnState : std::uint8_t { Active, Staged, Committed, RolledBack };

class Transaction;
void intrusive_ptr_add_ref(Transaction* txn) noexcept;
void intrusive_ptr_release(Transaction* txn) noexcept;
using TransactionRef = boost::intrusive_ptr<Transaction>;

class Transaction {
 public:
  Transaction(Engine& engine, std::string key, CommitMode mode, TransactionRef parent, bool committed_before,
              std::string flow_run_uuid, bool serializable = false);
  // A transaction dropped while still open (its attempt was abandoned and never closed it)
  // records its staged runs as not persisted, so no run goes unrecorded.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const std::string& key() const noexcept { return key_; }
  CommitMode mode() const noexcept { return mode_; }
  Transaction* parent() const noexcept { return parent_.get(); }
  // Whether a transaction under the same key had committed before this one began.
  bool committed_before() const noexcept { return committed_before_; }
  const std::string& flow_run_uuid() const noexcept { return flow_run_uuid_; }
  bool serializable() const noexcept { return serializable_; }

  TxnState state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
  }
  void set(std::string name, std::string value_json);
  // From this transaction or the nearest enclosing one that has it.
  bool get(const std::string& name, std::string* value_json) const;

 private:
  friend class Engine;
  friend void intrusive_ptr_add_ref(Transaction* txn) noexcept;
  friend void intrusive_ptr_release(Transaction* txn) noexcept;

  // Its own record for the store ({"name": value} of set()), when it has a key.
  std::vector<TransactionRecord> own_record() const;

  Engine& engine_;
  const std::string key_;
  const CommitMode mode_;
  const TransactionRef parent_;
  const bool committed_before_;
  const std::string flow_run_uuid_;
  const bool serializable_;
  std::atomic<std::uint32_t> refs_{0};

  mutable std::mutex mutex_;  // guards what follows
  TxnState state_ = TxnState::Active;
  std::vector<std::pair<std::string, std::string>> values_;  // name, JSON; few, so a vector
  std::vector<RunRef> staged_;                               // completed runs, in completion order
  std::vector<TransactionRecord> records_;                   // of nested transactions staged here
  // Key locks (SERIALIZABLE) held until its records are written: its own, and those of the
  // lazy children staged in it.
  std::vector<KeyLocks::Hold> locks_;
};

}  // namespace rh::host
