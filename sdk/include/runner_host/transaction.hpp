// Transactions in task code (docs/transactions.md):
//
//   rh::Transaction txn = ctx.transaction("order-" + id);
//   ctx.submit("charge", ...).result();   // runs submitted now join it
//   txn.set("note", "ok");
//   // leaving the scope commits; leaving it by an exception rolls back
//
// The results of the runs in it are persisted (and their on_commit hooks run) when it
// commits; when it rolls back nothing of it is persisted and their on_rollback hooks run,
// latest first. A transaction begun while another is open in the same task is nested in it.
#pragma once

#include <runner_host/abi.h>
#include <runner_host/abi_text.hpp>
#include <runner_host/cache.hpp>
#include <runner_host/detail/host.hpp>
#include <runner_host/errors.hpp>
#include <runner_host/json.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace rh {

// When a transaction commits (Prefect's commit modes).
enum class CommitMode : std::uint32_t {
  inherit = RH_TXN_INHERIT,  // the enclosing transaction's; lazy at the top
  lazy = RH_TXN_LAZY,        // nested: its commit waits for the enclosing one's
  eager = RH_TXN_EAGER,      // commits on exit even when nested; runs in it persist as they complete
  off = RH_TXN_OFF,          // rolls back on exit unless commit() was called
};

enum class TransactionState : std::uint32_t {
  active = RH_TXN_ACTIVE,
  staged = RH_TXN_STAGED,  // committed, waiting for the enclosing transaction
  committed = RH_TXN_COMMITTED,
  rolled_back = RH_TXN_ROLLED_BACK,
};

struct TransactionOptions {
  CommitMode commit_mode = CommitMode::inherit;
  // serializable: begin waits until no other transaction (in this process or another one
  // sharing the store) holds the key, and holds it until this one commits or rolls back.
  Isolation isolation = Isolation::read_committed;
};

class Transaction {
 public:
  // Use TaskContext::transaction.
  Transaction(rh_context* ctx, std::string_view key, const TransactionOptions& options)
      : exceptions_(std::uncaught_exceptions()) {
    const rh_host_api& host = detail::host();
    if (!RH_HAS_FIELD(&host, rh_host_api, txn_get) || host.txn_begin == nullptr) {
      throw UsageError("this runner-host has no transactions (they need a host of ABI 1.3)");
    }
    const rh_txn_options raw{sizeof(rh_txn_options), static_cast<std::uint32_t>(options.commit_mode), to_rh_str(key),
                             static_cast<std::uint32_t>(options.isolation)};
    ErrorCapture error;
    if (host.txn_begin(ctx, &raw, &txn_, &error.sink) != RH_OK) throw UsageError(error.message_or_type());
  }
  Transaction(Transaction&& other) noexcept
      : txn_(std::exchange(other.txn_, nullptr)), exceptions_(other.exceptions_) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Commits, or rolls back when the scope is left by an exception (or in off mode).
  ~Transaction() {
    if (txn_ == nullptr) return;
    const bool unwinding = std::uncaught_exceptions() > exceptions_;
    detail::host().txn_close(txn_, unwinding ? RH_TXN_EXIT_EXCEPTION : RH_TXN_EXIT_NORMAL);
  }

  // Commits now (staged when it defers to an enclosing lazy transaction). false when it
  // had been rolled back already.
  bool commit() {
    return static_cast<TransactionState>(detail::host().txn_commit(handle())) != TransactionState::rolled_back;
  }
  // Rolls back now, and every enclosing transaction with it; a committed one stays so.
  void rollback() { detail::host().txn_rollback(handle()); }
  TransactionState state() const { return static_cast<TransactionState>(detail::host().txn_state(handle())); }
  // Whether a transaction under the same key had committed before this one began (in this
  // or an earlier invocation sharing the store).
  bool is_committed() const { return detail::host().txn_is_committed(handle()); }

  // A value for this transaction and those nested in it.
  void set(std::string_view name, const json& value) {
    ErrorCapture error;
    const std::string text = value.dump();
    if (detail::host().txn_set(handle(), to_rh_str(name), to_rh_str(text), &error.sink) != RH_OK) {
      throw UsageError(error.message_or_type());
    }
  }
  // The value under name, here or in the nearest enclosing transaction; `fallback` if none.
  json get(std::string_view name, json fallback = nullptr) const {
    struct Capture {
      rh_text_sink sink{sizeof(rh_text_sink), this, &Capture::set};
      std::string text;
      static void set(rh_text_sink* s, rh_str t) {
        static_cast<Capture*>(s->host_data)->text.assign(to_string_view(t));
      }
    } capture;
    if (detail::host().txn_get(handle(), to_rh_str(name), &capture.sink) != RH_OK) return fallback;
    return json::parse(capture.text);
  }

 private:
  rh_txn* handle() const {
    if (txn_ == nullptr) throw UsageError("this rh::Transaction was moved from");
    return txn_;
  }

  rh_txn* txn_ = nullptr;
  int exceptions_;
};

}  // namespace rh
