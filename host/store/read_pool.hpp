// The store's read connections: a few SQLite connections of their own (read-only), handed
// out one caller at a time and kept with their prepared statements for the next caller.
// In WAL mode a reader sees the last commit as of its first step and never blocks the
// writer, nor the writer it; a lease ends every statement it ran before the connection goes
// back (StatementScope), so no read snapshot outlives the call that took it.
#pragma once

#include "store/sqlite_handle.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace rh::host::detail {

class ReadConnection {
 public:
  ReadConnection(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout);

  Connection& connection() { return connection_; }
  // `sql` prepared on this connection, once.
  Statement& statement(const std::string& sql);

 private:
  Connection connection_;  // first: its statements are finalized before it closes
  std::unordered_map<std::string, Statement> statements_;
};

class ReadPool {
 public:
  ReadPool(std::filesystem::path file, std::chrono::milliseconds busy_timeout)
      : file_(std::move(file)), busy_timeout_(busy_timeout) {}

  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<ReadConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.give_back(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    ReadConnection* operator->() const { return connection_.get(); }
    ReadConnection& operator*() const { return *connection_; }

   private:
    ReadPool& pool_;
    std::unique_ptr<ReadConnection> connection_;
  };

  // An idle connection, or a new one. Throws StoreError.
  Lease acquire();
  // Puts a connection opened elsewhere (the one the store checked the file with) in the pool.
  void add(std::unique_ptr<ReadConnection> connection) { give_back(std::move(connection)); }

 private:
  void give_back(std::unique_ptr<ReadConnection> connection) noexcept;

  // More concurrent readers than this open connections that are closed after use.
  static constexpr std::size_t kMaxIdle = 4;

  const std::filesystem::path file_;
  const std::chrono::milliseconds busy_timeout_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ReadConnection>> idle_;
};

}  // namespace rh::host::detail
