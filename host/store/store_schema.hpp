// The store's schema and its migrations (docs/store.md lists the tables and columns).
//
// The version lives in PRAGMA user_version. Each migration takes a store from version N to
// N + 1 in one BEGIN IMMEDIATE transaction that also sets user_version, so a crash or a
// second process migrating at the same time leaves the file at N or at N + 1, never between.
// A new version is one more function in the list and Store::kSchemaVersion raised by one.
#pragma once

#include "store/sqlite_handle.hpp"

#include <cstdint>

namespace rh::host::detail {

// PRAGMA application_id of every store, so that another program's SQLite file given as
// --store is recognised and left alone ("RHst").
inline constexpr std::int64_t kStoreApplicationId = 0x52487374;

// Page size of new stores. Larger pages than SQLite's 4 KiB halve the writer's cost per
// task run (fewer pages written to the WAL per row, fewer B-tree splits; bench/store_writer);
// it cannot change once the file is in WAL mode, so it is set before anything is written.
inline constexpr int kStorePageSize = 16384;

// Task run rows are keyed by flow_run << kRunNoBits | run_no: their rowid is their
// (flow run, run number) key, so inserting one touches one B-tree instead of a table and
// an index, and a flow run's task runs are one rowid range in run number order.
inline constexpr int kRunNoBits = 36;  // 68 billion task runs per flow run
inline constexpr std::int64_t kMaxRunNo = (std::int64_t{1} << kRunNoBits) - 1;
inline constexpr std::int64_t kMaxFlowRunRow = (std::int64_t{1} << (63 - kRunNoBits)) - 1;  // 134 million

inline std::int64_t task_run_key(std::int64_t flow_run_row, std::int64_t run_no) {
  return (flow_run_row << kRunNoBits) | run_no;
}

// Checks that the open file can be this build's store, reading only: a SQLite database
// (its header and schema parse), runner-host's (application_id, or a blank file), with a
// schema this build reads. Read-only: also refuses a store older than this build, since it
// could not be migrated. Returns its schema version (0: a blank file). Throws StoreError
// naming the file.
int check_store_file(Connection& connection, bool read_only);

// Brings the store to Store::kSchemaVersion, one migration transaction per version.
// Throws StoreError.
void migrate(Connection& connection);

// The user_version of the open file.
int schema_version(Connection& connection);

}  // namespace rh::host::detail
