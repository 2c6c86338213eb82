// Transactions (engine/transaction.hpp): begin, commit, rollback and close, and what a run
// that completes in one does.
#include "base/clock.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "engine/transaction.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace rh::host {
namespace {

// The in-memory mark of a committed key, for a session without a store (its result cache
// is bounded, so the marks are too).
std::string committed_mark(const std::string& key) { return std::string("\x1ftxn:") + key; }

}  // namespace

void intrusive_ptr_add_ref(Transaction* txn) noexcept { txn->refs_.fetch_add(1, std::memory_order_relaxed); }

void intrusive_ptr_release(Transaction* txn) noexcept {
  if (txn->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete txn;
}

Transaction::Transaction(Engine& engine, std::string key, CommitMode mode, TransactionRef parent, bool committed_before,
                         std::string flow_run_uuid, bool serializable)
    : engine_(engine),
      key_(std::move(key)),
      mode_(mode),
      parent_(std::move(parent)),
      committed_before_(committed_before),
      flow_run_uuid_(std::move(flow_run_uuid)),
      serializable_(serializable) {}

Transaction::~Transaction() {
  if (state_ == TxnState::Active && !staged_.empty()) {
    engine_.log_for(*staged_.front(), RH_LOG_WARN,
                    "transaction '" + key_ + "' was never closed: the results of its " +
                        std::to_string(staged_.size()) + " completed run(s) are not persisted");
    for (const RunRef& run : staged_) engine_.record_in_store(*run, /*with_result=*/false, flow_run_uuid_);
  }
  engine_.release_key_locks(std::move(locks_));
}

void Transaction::set(std::string name, std::string value_json) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [existing, value] : values_) {
    if (existing == name) {
      value = std::move(value_json);
      return;
    }
  }
  values_.emplace_back(std::move(name), std::move(value_json));
}

bool Transaction::get(const std::string& name, std::string* value_json) const {
  for (const Transaction* txn = this; txn != nullptr; txn = txn->parent()) {
    std::lock_guard<std::mutex> lock(txn->mutex_);
    for (const auto& [existing, value] : txn->values_) {
      if (existing == name) {
        *value_json = value;
        return true;
      }
    }
  }
  return false;
}

std::vector<TransactionRecord> Transaction::own_record() const {
  if (key_.empty()) return {};
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, value] : values_) values[name] = nlohmann::json::parse(value, nullptr, false);
  return {TransactionRecord{key_, flow_run_uuid_, values.dump(), 0}};
}

// ------------------------------------------------------------------ engine side

namespace {

bool held_by_enclosing(const Transaction* txn, const std::string& key) {
  for (; txn != nullptr; txn = txn->parent()) {
    if (txn->key() == key && txn->serializable()) return true;
  }
  return false;
}

}  // namespace

TransactionRef Engine::begin_transaction(AttemptContext& attempt, std::string key, std::optional<CommitMode> mode,
                                         bool serializable) {
  // As for submit: an attempt the engine took over may run on after its run ended and its
  // scope is gone; it opens nothing more.
  if (attempt.run->done()) {
    throw std::runtime_error("the run '" + attempt.run->name() + "' already ended (its attempt was abandoned)");
  }
  TransactionRef parent(attempt.transaction);
  const CommitMode effective = mode ? *mode : (parent ? parent->mode() : CommitMode::Lazy);
  KeyLocks::Hold hold;
  // A transaction nested in one that holds its key has it already.
  if (serializable && !held_by_enclosing(parent.get(), key)) {
    Run& run = *attempt.run;
    const std::string holder = lock_holder(run, "transaction");
    std::string error;
    const std::int32_t status = key_locks_.acquire(key, holder, context_blocker(), RH_DEADLINE_NONE, &hold, &error);
    if (status == RH_ERROR) {
      log_for(run, RH_LOG_WARN, "transaction '" + key + "' could not be locked, running without the lock: " + error);
    } else if (status != RH_OK) {
      throw std::runtime_error("'" + key + "': " + (status == RH_CANCELLED ? "cancelled" : "timed out") +
                               " while waiting for its lock");
    }
  }
  // Looked at after the lock: a holder before us may have committed meanwhile.
  bool committed = false;
  if (!key.empty()) {
    if (cache_.lookup(committed_mark(key), monotonic_ns())) {
      committed = true;
    } else if (store_ != nullptr) {
      try {
        committed = store_->find_transaction(key).has_value();
      } catch (const StoreError& e) {
        log_for(*attempt.run, RH_LOG_WARN,
                "transaction '" + key + "': cannot tell whether it committed before: " + e.what());
      }
    }
  }
  TransactionRef txn(new Transaction(*this, std::move(key), effective, std::move(parent), committed,
                                     attempt.run->scope()->flow_run_uuid(), serializable));
  if (hold) txn->locks_.push_back(std::move(hold));
  attempt.transaction = txn.get();
  return txn;
}

void Engine::persist_committed(std::vector<RunRef> runs, std::vector<TransactionRecord> records,
                               const std::string& flow_run_uuid) {
  for (const RunRef& run : runs) {
    if (const CacheNote* note = run->cache_note()) {
      if (note->store_entry) remember_result(*run, run->result());
    }
    record_in_store(*run, /*with_result=*/true, flow_run_uuid);
  }
  const std::int64_t now = wall_us();
  for (TransactionRecord& record : records) {
    cache_.store(committed_mark(record.key), "{}", 0);
    record.committed_us = now;
    if (store_ != nullptr) store_->transaction_committed(std::move(record));
  }
  for (const RunRef& run : runs) run_hooks(*run, RH_HOOK_ON_COMMIT);
}

void Engine::release_key_locks(std::vector<KeyLocks::Hold> holds) {
  for (KeyLocks::Hold& hold : holds) key_locks_.release(hold);
}

void Engine::roll_back_runs(std::vector<RunRef> runs, const std::string& flow_run_uuid) {
  for (const RunRef& run : runs) record_in_store(*run, /*with_result=*/false, flow_run_uuid);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) run_hooks(**it, RH_HOOK_ON_ROLLBACK);
}

TxnState Engine::commit_transaction(Transaction& txn) {
  std::vector<RunRef> runs;
  std::vector<TransactionRecord> records;
  std::vector<KeyLocks::Hold> holds;
  {
    std::unique_lock<std::mutex> lock(txn.mutex_);
    if (txn.state_ != TxnState::Active) return txn.state_;
    records = std::move(txn.records_);
    for (TransactionRecord& own : txn.own_record()) records.push_back(std::move(own));
    runs = std::move(txn.staged_);
    holds = std::move(txn.locks_);
    Transaction* parent = txn.parent();
    if (txn.mode_ == CommitMode::Lazy && parent != nullptr) {
      // Child before parent, always: the one lock order of nested transactions.
      std::lock_guard<std::mutex> parent_lock(parent->mutex_);
      if (parent->state_ == TxnState::Active) {
        for (RunRef& run : runs) parent->staged_.push_back(std::move(run));
        for (TransactionRecord& record : records) parent->records_.push_back(std::move(record));
        // Its keys stay locked until what it staged is written, with the parent's.
        for (KeyLocks::Hold& hold : holds) parent->locks_.push_back(std::move(hold));
        txn.state_ = TxnState::Staged;
        return txn.state_;
      }
    }
    txn.state_ = TxnState::Committed;
  }
  persist_committed(std::move(runs), std::move(records), txn.flow_run_uuid());
  release_key_locks(std::move(holds));  // after the records: the next holder finds them
  return TxnState::Committed;
}

TxnState Engine::rollback_transaction(Transaction& txn) {
  std::vector<RunRef> runs;
  std::vector<KeyLocks::Hold> holds;
  {
    std::lock_guard<std::mutex> lock(txn.mutex_);
    if (txn.state_ != TxnState::Active) return txn.state_;
    txn.state_ = TxnState::RolledBack;
    runs = std::move(txn.staged_);
    txn.records_.clear();
    holds = std::move(txn.locks_);
  }
  roll_back_runs(std::move(runs), txn.flow_run_uuid());
  release_key_locks(std::move(holds));
  if (Transaction* parent = txn.parent()) rollback_transaction(*parent);
  return TxnState::RolledBack;
}

void Engine::close_transaction(AttemptContext& attempt, Transaction& txn, bool by_exception) {
  if (txn.state() == TxnState::Active) {
    if (by_exception || txn.mode() == CommitMode::Off) {
      rollback_transaction(txn);
    } else {
      commit_transaction(txn);
    }
  }
  if (attempt.transaction == &txn) attempt.transaction = txn.parent();
}

bool Engine::stage_in_transaction(Run& run) {
  if (run.state() != StateId::Completed) return false;  // only a computed result waits
  for (Transaction* txn = run.transaction(); txn != nullptr;) {
    std::unique_lock<std::mutex> lock(txn->mutex_);
    switch (txn->state_) {
      case TxnState::Active:
        if (txn->mode_ == CommitMode::Eager) {
          lock.unlock();
          persist_committed({RunRef(&run)}, {}, txn->flow_run_uuid());
          return true;
        }
        txn->staged_.push_back(RunRef(&run));
        return true;
      case TxnState::Staged: txn = txn->parent(); continue;  // it waits for its parent now
      case TxnState::Committed:
        lock.unlock();
        persist_committed({RunRef(&run)}, {}, txn->flow_run_uuid());
        return true;
      case TxnState::RolledBack:
        lock.unlock();
        roll_back_runs({RunRef(&run)}, txn->flow_run_uuid());
        return true;
    }
  }
  return false;
}

}  // namespace rh::host
