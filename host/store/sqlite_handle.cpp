#include "store/sqlite_handle.hpp"

#include <mutex>
#include <utility>

namespace rh::host::detail {

std::string sqlite_code_name(int code) {
  // Extended codes first: they say more ("SQLITE_IOERR_WRITE" rather than "SQLITE_IOERR").
  switch (code) {
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_FSTAT: return "SQLITE_IOERR_FSTAT";
    case SQLITE_IOERR_LOCK: return "SQLITE_IOERR_LOCK";
    case SQLITE_IOERR_SHMOPEN: return "SQLITE_IOERR_SHMOPEN";
    case SQLITE_IOERR_SHMMAP: return "SQLITE_IOERR_SHMMAP";
    case SQLITE_IOERR_NOMEM: return "SQLITE_IOERR_NOMEM";
    case SQLITE_CANTOPEN_ISDIR: return "SQLITE_CANTOPEN_ISDIR";
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED";
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
    case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
    case SQLITE_CORRUPT_INDEX: return "SQLITE_CORRUPT_INDEX";
    default: break;
  }
  switch (code & 0xff) {
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_NOLFS: return "SQLITE_NOLFS";
    case SQLITE_AUTH: return "SQLITE_AUTH";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return "SQLITE_" + std::to_string(code);
  }
}

std::string store_message(const std::filesystem::path& file, std::string_view what) {
  std::string message = "store ";
  message += file.string();
  message += ": ";
  message += what;
  return message;
}

namespace {

// SQLite's messages are one line already; this only guards against one that is not, so
// that every StoreError stays one line.
std::string one_line_text(const char* text) {
  std::string line = text != nullptr ? text : "unknown error";
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

[[noreturn]] void throw_for(const std::filesystem::path& file, int rc, const char* message) {
  throw SqliteError(rc, store_message(file, one_line_text(message) + " (" + sqlite_code_name(rc) + ")"));
}

// SQLite counts every allocation under a process-wide mutex unless told not to; the store
// never asks for those statistics, and the writer allocates for every row it writes. Only
// possible before SQLite initializes: if something else in the process started it first,
// the call is refused and the counting stays (slower, not wrong).
void skip_memory_statistics() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Connection::Connection(const std::filesystem::path& file, int flags) : file_(file) {
  skip_memory_statistics();
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // The handle exists even when opening failed (unless memory ran out); it holds the message.
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close(db_);
    db_ = nullptr;
    throw_for(file_, code, message.c_str());
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  // Every Statement of this connection is finalized before it (they are members declared
  // after their connection, or local to a call), so close cannot fail with SQLITE_BUSY;
  // close_v2 would merely defer the close if one were left.
  sqlite3_close_v2(db_);
}

void Connection::check(int rc) const {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) fail(rc);
}

void Connection::fail(int rc) const {
  const int code = sqlite3_extended_errcode(db_);
  // The connection's code is the last error's; it matches rc unless rc came from elsewhere
  // (a bind on a finalized statement, for instance): then rc itself is the better one.
  throw_for(file_, (code & 0xff) == (rc & 0xff) ? code : rc,
            (code & 0xff) == (rc & 0xff) ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
}

void Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc);
}

std::int64_t Connection::query_int(const char* sql) {
  Statement statement = prepare(sql, false);
  return statement.step() ? statement.column_int(0) : 0;
}

std::string Connection::query_text(const char* sql) {
  Statement statement = prepare(sql, false);
  return statement.step() ? statement.column_text(0) : std::string();
}

Statement Connection::prepare(std::string_view sql, bool persistent) {
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    persistent ? SQLITE_PREPARE_PERSISTENT : 0, &statement, nullptr);
  if (rc != SQLITE_OK) fail(rc);
  return Statement(*this, statement);
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    connection_ = other.connection_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The message belongs to the connection; take it before reset, which may change it.
  const int code = sqlite3_extended_errcode(sqlite3_db_handle(stmt_));
  const std::string message = sqlite3_errmsg(sqlite3_db_handle(stmt_));
  sqlite3_reset(stmt_);
  throw_for(connection_->file(), (code & 0xff) == (rc & 0xff) ? code : rc, message.c_str());
}

std::string_view Statement::column_view(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY in places) roll the
  // transaction back by themselves; a second ROLLBACK would only fail.
  if (open_ && sqlite3_get_autocommit(connection_.get()) == 0) {
    sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  open_ = false;
}

ReadTransaction::ReadTransaction(Connection& connection) : connection_(connection) { connection_.exec("BEGIN"); }

ReadTransaction::~ReadTransaction() {
  if (sqlite3_get_autocommit(connection_.get()) == 0) {
    sqlite3_exec(connection_.get(), "COMMIT", nullptr, nullptr, nullptr);
  }
}

}  // namespace rh::host::detail
