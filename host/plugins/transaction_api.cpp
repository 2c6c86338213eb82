#include "plugins/transaction_api.hpp"

#include "engine/engine.hpp"

#include <runner_host/abi_text.hpp>

#include <nlohmann/json.hpp>

#include <optional>

namespace rh::host {
namespace {

// What an rh_txn is: the transaction and the attempt whose task code holds it.
struct TxnHandle {
  TransactionRef txn;
  AttemptContext* attempt;
};

TxnHandle& handle_of(rh_txn* txn) { return *reinterpret_cast<TxnHandle*>(txn); }

uint32_t abi_state(TxnState state) {
  switch (state) {
    case TxnState::Active: return RH_TXN_ACTIVE;
    case TxnState::Staged: return RH_TXN_STAGED;
    case TxnState::Committed: return RH_TXN_COMMITTED;
    case TxnState::RolledBack: break;
  }
  return RH_TXN_ROLLED_BACK;
}

void report(rh_error_sink* err, std::string_view message) {
  if (err != nullptr) err->set(err, to_rh_str(std::string_view("rh::UsageError")), to_rh_str(message));
}

}  // namespace

int32_t api_txn_begin(rh_context* ctx, const rh_txn_options* options, rh_txn** out, rh_error_sink* err) {
  if (ctx == nullptr || options == nullptr || out == nullptr || !RH_HAS_FIELD(options, rh_txn_options, key)) {
    report(err, "transaction: needs a context, options and an output handle");
    return RH_ERROR;
  }
  std::optional<CommitMode> mode;
  switch (options->commit_mode) {
    case RH_TXN_INHERIT: break;
    case RH_TXN_LAZY: mode = CommitMode::Lazy; break;
    case RH_TXN_EAGER: mode = CommitMode::Eager; break;
    case RH_TXN_OFF: mode = CommitMode::Off; break;
    default: report(err, "transaction: unknown commit mode " + std::to_string(options->commit_mode)); return RH_ERROR;
  }
  const std::uint32_t isolation =
      RH_HAS_FIELD(options, rh_txn_options, isolation) ? options->isolation : RH_TXN_READ_COMMITTED;
  if (isolation != RH_TXN_READ_COMMITTED && isolation != RH_TXN_SERIALIZABLE) {
    report(err, "transaction: unknown isolation " + std::to_string(isolation));
    return RH_ERROR;
  }
  if (isolation == RH_TXN_SERIALIZABLE && options->key.size == 0) {
    report(err, "transaction: serializable isolation needs a key to lock");
    return RH_ERROR;
  }
  try {
    AttemptContext& attempt = *reinterpret_cast<AttemptContext*>(ctx);
    TransactionRef txn = attempt.run->engine().begin_transaction(attempt, std::string(to_string_view(options->key)),
                                                                 mode, isolation == RH_TXN_SERIALIZABLE);
    *out = reinterpret_cast<rh_txn*>(new TxnHandle{std::move(txn), &attempt});
    return RH_OK;
  } catch (const std::exception& e) {
    report(err, std::string("transaction: ") + e.what());
    return RH_ERROR;
  }
}

uint32_t api_txn_commit(rh_txn* txn) {
  Transaction& t = *handle_of(txn).txn;
  return abi_state(handle_of(txn).attempt->run->engine().commit_transaction(t));
}

uint32_t api_txn_rollback(rh_txn* txn) {
  Transaction& t = *handle_of(txn).txn;
  return abi_state(handle_of(txn).attempt->run->engine().rollback_transaction(t));
}

void api_txn_close(rh_txn* txn, uint32_t how) {
  TxnHandle* handle = &handle_of(txn);
  handle->attempt->run->engine().close_transaction(*handle->attempt, *handle->txn, how == RH_TXN_EXIT_EXCEPTION);
  delete handle;
}

uint32_t api_txn_state(rh_txn* txn) { return abi_state(handle_of(txn).txn->state()); }

bool api_txn_is_committed(rh_txn* txn) { return handle_of(txn).txn->committed_before(); }

int32_t api_txn_set(rh_txn* txn, rh_str name, rh_str value_json, rh_error_sink* err) {
  const std::string_view text = to_string_view(value_json);
  if (!nlohmann::json::accept(text)) {
    report(err, "transaction value '" + std::string(to_string_view(name)) + "' is not JSON");
    return RH_ERROR;
  }
  handle_of(txn).txn->set(std::string(to_string_view(name)), std::string(text));
  return RH_OK;
}

int32_t api_txn_get(rh_txn* txn, rh_str name, rh_text_sink* value) {
  std::string found;
  if (!handle_of(txn).txn->get(std::string(to_string_view(name)), &found)) return RH_EMPTY;
  if (value != nullptr) value->set(value, to_rh_str(found));
  return RH_OK;
}

}  // namespace rh::host
