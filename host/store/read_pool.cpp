#include "store/read_pool.hpp"

namespace rh::host::detail {

ReadConnection::ReadConnection(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout)
    : connection_(file, SQLITE_OPEN_READONLY) {
  // A reader can meet SQLITE_BUSY too (while another connection recovers the WAL, or
  // restarts it): wait for it like the writer does.
  connection_.check(sqlite3_busy_timeout(connection_.get(), static_cast<int>(busy_timeout.count())));
}

Statement& ReadConnection::statement(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) found = statements_.emplace(sql, connection_.prepare(sql)).first;
  return found->second;
}

ReadPool::Lease ReadPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<ReadConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  // Opened outside the lock: opening reads the file and may wait for it.
  return Lease(*this, std::make_unique<ReadConnection>(file_, busy_timeout_));
}

void ReadPool::give_back(std::unique_ptr<ReadConnection> connection) noexcept {
  if (!connection) return;
  // A statement the caller left unfinished (an exception between steps) would hold a read
  // snapshot while idle; end them all. sqlite3_next_stmt walks the connection's statements.
  sqlite3* db = connection->connection().get();
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr; s = sqlite3_next_stmt(db, s)) sqlite3_reset(s);
  if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

}  // namespace rh::host::detail
