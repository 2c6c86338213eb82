#include "store/store_schema.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace rh::host::detail {
namespace {

// Version 1: flow runs, task runs, cache entries.
//
// Lean on purpose: the writer has about a microsecond per task run, so task_runs has no
// index besides its rowid (see task_run_key) and its per-flow-run tallies live in flow_runs
// (task_runs, results, counts), kept up to date by the writer at each batch, so listing runs
// never aggregates over task runs. foreign_keys stays off: the writer looks every flow run
// up itself (it needs its row number anyway), so the REFERENCES clauses document the links
// and cost nothing. Times are Unix microseconds; states are their names (base/state.hpp), so
// the file reads well in sqlite3.
void create_version_1(Connection& connection) {
  connection.exec(R"sql(
CREATE TABLE flow_runs (
  -- AUTOINCREMENT: a row number is never reused, so a task run written after its flow run
  -- was pruned can never end up attached to a newer one.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  flow TEXT NOT NULL,
  is_flow INTEGER NOT NULL,
  library TEXT,
  library_version TEXT,
  params TEXT,
  command_line TEXT,
  runner TEXT,
  resumed_from TEXT,
  start_us INTEGER NOT NULL,
  end_us INTEGER,  -- NULL while running (or killed)
  state TEXT,      -- the final state; NULL while running
  message TEXT,
  history TEXT,    -- [[time_us,"State"] or [time_us,"State","message"], ...]
  result TEXT,
  result_file TEXT,  -- the result's file in <store>.results/ when larger than inline_result_bytes
  result_bytes INTEGER,  -- its size, to tell a file cut short (a power loss) from a result
  error_type TEXT,
  error_message TEXT,
  task_runs INTEGER NOT NULL DEFAULT 0,  -- task runs written so far
  results INTEGER NOT NULL DEFAULT 0,    -- of which with a persisted result
  counts TEXT NOT NULL DEFAULT '{}'      -- task runs by final state: {"Completed":12,"Failed":1}
);
CREATE INDEX flow_runs_by_start ON flow_runs (start_us);
CREATE INDEX flow_runs_by_flow ON flow_runs (flow, start_us);

CREATE TABLE task_runs (
  id INTEGER PRIMARY KEY,  -- flow_run << 36 | run_no
  flow_run INTEGER NOT NULL REFERENCES flow_runs (id),
  run_no INTEGER NOT NULL,
  parent_run_no INTEGER NOT NULL,  -- 0: submitted by the flow run itself
  task TEXT NOT NULL,
  name TEXT NOT NULL,
  library TEXT,
  library_version TEXT,
  task_version TEXT,
  params TEXT,
  state TEXT NOT NULL,
  history TEXT NOT NULL,
  run_count INTEGER NOT NULL,
  result TEXT,       -- NULL unless the result is persisted (and small enough)
  result_file TEXT,
  result_bytes INTEGER,
  error_type TEXT,
  error_message TEXT,
  start_us INTEGER NOT NULL,  -- 0: never ran
  end_us INTEGER NOT NULL,
  run_time_us INTEGER NOT NULL,
  cache_key TEXT,  -- the key the run asked its result to be cached under, if any
  cache_expires_us INTEGER
);

-- The few rows with a result file, for prune to tell orphan files from used ones without
-- reading every row (a partial index: rows without a file cost it nothing but the test).
CREATE INDEX task_runs_result_files ON task_runs (result_file) WHERE result_file IS NOT NULL;

-- Small rows looked up by key: WITHOUT ROWID keeps them in the key's own B-tree.
CREATE TABLE cache_entries (
  key TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  flow_run INTEGER NOT NULL REFERENCES flow_runs (id),  -- with run_no: the task run holding the result
  run_no INTEGER NOT NULL,
  created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL  -- 0: never
) WITHOUT ROWID;
)sql");
  connection.exec(("PRAGMA application_id = " + std::to_string(kStoreApplicationId)).c_str());
}

// Version 2: transactions committed under a key (docs/transactions.md).
void create_version_2(Connection& connection) {
  connection.exec(R"sql(
CREATE TABLE transactions (
  key TEXT PRIMARY KEY,
  flow_run TEXT NOT NULL,  -- the uuid of the flow run it committed in
  committed_us INTEGER NOT NULL,
  vals TEXT NOT NULL DEFAULT '{}'  -- what txn.set() stored: {"name": value, ...}
) WITHOUT ROWID;
CREATE INDEX transactions_by_time ON transactions (committed_us);
)sql");
}

// Version 3: key locks of SERIALIZABLE isolation (docs/store.md, "Isolation"). A row is one
// store owner's (a Store object: one runner-host session) hold on a key; the attempts of that
// session queue for it in memory. The lease keeps a killed owner from holding it forever.
void create_version_3(Connection& connection) {
  connection.exec(R"sql(
CREATE TABLE locks (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,   -- the holding session's store owner id (a UUID)
  token TEXT NOT NULL,   -- this acquisition: a release names it, so a late one frees nothing newer
  holder TEXT NOT NULL,  -- who asked first: "<flow run id>/<run no> attempt <n>", for people
  host TEXT NOT NULL,    -- with pid: a holder on this host whose process is gone is free at once
  pid INTEGER NOT NULL,
  acquired_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL  -- renewed while held; past it anyone may take the key
) WITHOUT ROWID;
)sql");
}

// Version 4: the dependency edges of a task run, for the report's graph (docs/html-report.md):
// the run numbers it waited for, as decimal text separated by spaces ("3 7 9"); NULL for
// none, which is most runs and costs nothing.
void create_version_4(Connection& connection) { connection.exec("ALTER TABLE task_runs ADD COLUMN upstreams TEXT;"); }

struct Migration {
  int to_version;
  void (*apply)(Connection&);
};

// Migration i takes the store from version i to i + 1.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> steps = {
      {1, &create_version_1},
      {2, &create_version_2},
      {3, &create_version_3},
      {4, &create_version_4},
  };
  return steps;
}

std::string hex(std::int64_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%08llx", static_cast<unsigned long long>(value) & 0xffffffffULL);
  return buffer;
}

}  // namespace

int schema_version(Connection& connection) { return static_cast<int>(connection.query_int("PRAGMA user_version")); }

int check_store_file(Connection& connection, bool read_only) {
  // The first reads: a file that is not a database fails here with SQLITE_NOTADB, one whose
  // first page or schema is damaged with SQLITE_CORRUPT. Damage further in shows on the
  // read or write that reaches it (PRAGMA quick_check would find it now, but reads the
  // whole file: seconds for a store of millions of task runs, on every start).
  const int version = schema_version(connection);
  const std::int64_t tables = connection.query_int("SELECT count(*) FROM sqlite_master");
  const std::int64_t application = connection.query_int("PRAGMA application_id");
  const std::string name = connection.file().string();

  if (application != kStoreApplicationId && (application != 0 || tables != 0)) {
    throw StoreError("store " + name + " is not a runner-host store (a SQLite database of application id " +
                     hex(application) + ")");
  }
  if (version > Store::kSchemaVersion) {
    throw StoreError("store " + name + " was written by a newer runner-host (schema version " +
                     std::to_string(version) + "); this build reads schema versions up to " +
                     std::to_string(Store::kSchemaVersion));
  }
  if (read_only && version < Store::kSchemaVersion) {
    if (version == 0 && tables == 0) throw StoreError("store " + name + " is empty (no runner-host schema in it)");
    throw StoreError("store " + name + " has schema version " + std::to_string(version) + ", older than this build's " +
                     std::to_string(Store::kSchemaVersion) +
                     ": run runner-host once (any run) to upgrade it before reading it");
  }
  return version;
}

void migrate(Connection& connection) {
  static_assert(Store::kSchemaVersion >= 1, "the store has a schema");
  if (static_cast<int>(migrations().size()) != Store::kSchemaVersion) {
    throw StoreError("store " + connection.file().string() + ": this build has " + std::to_string(migrations().size()) +
                     " schema migrations for schema version " + std::to_string(Store::kSchemaVersion));
  }
  for (;;) {
    if (schema_version(connection) >= Store::kSchemaVersion) return;
    Transaction transaction(connection);
    // Read again under the write lock: another process may have migrated meanwhile.
    const int version = schema_version(connection);
    if (version >= Store::kSchemaVersion) return;
    const Migration& step = migrations()[static_cast<std::size_t>(version)];
    step.apply(connection);
    connection.exec(("PRAGMA user_version = " + std::to_string(step.to_version)).c_str());
    transaction.commit();
  }
}

}  // namespace rh::host::detail
