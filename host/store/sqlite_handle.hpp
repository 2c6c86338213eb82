// Thin RAII wrappers over the SQLite C API for the store: a connection, a prepared
// statement, a BEGIN IMMEDIATE transaction. Each failure becomes a SqliteError whose one-line
// message names the database file ("store /x/store.db: database disk image is malformed
// (SQLITE_CORRUPT)"), because the user may have several stores and the message is often all
// they see.
//
// Threading: none of these lock anything. Connections are opened with SQLITE_OPEN_NOMUTEX,
// so each one must be used by one thread at a time; the store hands them over explicitly
// (the writer's to its thread, the readers' through a pool guarded by a mutex).
#pragma once

#include "store/store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace rh::host::detail {

// A StoreError that keeps SQLite's (extended) result code, so the writer can tell an error
// of one record (a constraint) from one that ends its whole transaction (full, I/O, busy).
class SqliteError : public StoreError {
 public:
  SqliteError(int code, const std::string& message) : StoreError(message), code_(code) {}
  int code() const noexcept { return code_; }
  int primary_code() const noexcept { return code_ & 0xff; }

 private:
  int code_;
};

// "SQLITE_CORRUPT", "SQLITE_IOERR_WRITE", ...; "SQLITE_<n>" for a code this build does not name.
std::string sqlite_code_name(int code);

// "store FILE: " + what: the prefix of every store message that is not SQLite's own.
std::string store_message(const std::filesystem::path& file, std::string_view what);

class Statement;

class Connection {
 public:
  // Opens `file` with `flags` (SQLITE_OPEN_* without the mutex flags: NOMUTEX is added).
  // Extended result codes are on. Throws SqliteError.
  Connection(const std::filesystem::path& file, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const noexcept { return db_; }
  const std::filesystem::path& file() const noexcept { return file_; }

  // Runs one or more statements that return nothing of interest. Throws SqliteError.
  void exec(const char* sql);
  // The first column of the first row of `sql` as an integer (PRAGMA user_version, ...).
  std::int64_t query_int(const char* sql);
  // ... as text ("" for NULL or no row).
  std::string query_text(const char* sql);
  Statement prepare(std::string_view sql, bool persistent = true);

  // Throws the SqliteError for `rc` (anything but OK, ROW and DONE) with this connection's
  // current message.
  void check(int rc) const;
  [[noreturn]] void fail(int rc) const;

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

// A prepared statement. Text bound with bind() is not copied (SQLITE_STATIC): it must stay
// alive and unchanged until the statement is reset, which is what lets the writer bind the
// strings of a queued record without copying them once more.
class Statement {
 public:
  Statement() = default;
  Statement(const Connection& connection, sqlite3_stmt* statement) : connection_(&connection), stmt_(statement) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : connection_(other.connection_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  explicit operator bool() const noexcept { return stmt_ != nullptr; }

  // Parameters are numbered from 1, as in SQLite.
  void bind(int index, std::int64_t value) { bind_rc(sqlite3_bind_int64(stmt_, index, value)); }
  void bind(int index, std::string_view text) {
    // A null pointer would bind NULL; an empty view may have one.
    const char* data = text.data() != nullptr ? text.data() : "";
    bind_rc(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  // Text is bound without a copy (SQLITE_STATIC): it must outlive the next step, which a
  // temporary string would not.
  void bind(int index, std::string&& text) = delete;
  void bind_or_null(int index, std::string&& text) = delete;
  // Optional text: NULL when empty, so "no value" reads as NULL in sqlite3 too.
  void bind_or_null(int index, std::string_view text) {
    if (text.empty()) {
      bind_null(index);
    } else {
      bind(index, text);
    }
  }
  void bind_null(int index) { bind_rc(sqlite3_bind_null(stmt_, index)); }

  // true: a row is ready; false: done. Throws SqliteError (the statement is reset).
  bool step();
  // Steps a statement that returns no row. Throws SqliteError.
  void run() {
    step();
    reset();
  }
  // Ends the statement's run (and the implicit read transaction it holds) and keeps its
  // bindings, which are replaced before the next run anyway.
  void reset() noexcept { sqlite3_reset(stmt_); }

  std::int64_t column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  // Valid until the next step or reset; "" for NULL.
  std::string_view column_view(int column) const;
  std::string column_text(int column) const { return std::string(column_view(column)); }

  sqlite3_stmt* get() const noexcept { return stmt_; }

 private:
  void bind_rc(int rc) const {
    if (rc != SQLITE_OK) connection_->fail(rc);
  }

  const Connection* connection_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, however it ends, so that no read snapshot stays
// open by accident (an open snapshot keeps the WAL from being checkpointed past it).
class StatementScope {
 public:
  explicit StatementScope(Statement& statement) : statement_(statement) {}
  ~StatementScope() { statement_.reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  Statement& statement_;
};

// BEGIN IMMEDIATE on construction (every write transaction takes the write lock at once, so
// it can never fail half way for want of it: DESIGN.md section 7); ROLLBACK on destruction
// unless committed. The busy timeout of the connection applies to BEGIN IMMEDIATE.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

// A deferred read transaction (BEGIN ... COMMIT) so that several statements see one
// snapshot; ended on destruction.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& connection);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Connection& connection_;
};

}  // namespace rh::host::detail
