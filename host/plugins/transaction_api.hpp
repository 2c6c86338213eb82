// The transaction functions of the host API table (ABI 1.3; engine/transaction.hpp).
#pragma once

#include <runner_host/abi.h>

namespace rh::host {

int32_t api_txn_begin(rh_context* ctx, const rh_txn_options* options, rh_txn** out, rh_error_sink* err);
uint32_t api_txn_commit(rh_txn* txn);
uint32_t api_txn_rollback(rh_txn* txn);
void api_txn_close(rh_txn* txn, uint32_t how);
uint32_t api_txn_state(rh_txn* txn);
bool api_txn_is_committed(rh_txn* txn);
int32_t api_txn_set(rh_txn* txn, rh_str name, rh_str value_json, rh_error_sink* err);
int32_t api_txn_get(rh_txn* txn, rh_str name, rh_text_sink* value);

}  // namespace rh::host
