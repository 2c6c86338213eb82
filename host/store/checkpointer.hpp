// Checkpoints of the store's write-ahead log, on a thread of their own.
//
// SQLite's automatic checkpoint runs in the writing connection right after a commit, and a
// checkpoint syncs the WAL and then the database: on this kind of disk about 130 ms per
// 64 MiB, during which the writer writes nothing and the tasks soon wait on its full queue.
// Here the writer's commits only report the WAL's size (sqlite3_wal_hook); past `pages`
// (StoreOptions::checkpoint_pages) this thread runs a PASSIVE checkpoint on a connection of
// its own, which copies what is committed without blocking the writer, so the syncs overlap
// the writing. Should the WAL still outgrow four times that (checkpoints cannot catch up
// with the writer), the writer checkpoints itself, as SQLite would: the WAL stays bounded.
#pragma once

#include "store/sqlite_handle.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace rh::host::detail {

class Checkpointer {
 public:
  // Opens its connection and starts its thread; from now on `writer` checkpoints only past
  // the cap. Throws SqliteError.
  Checkpointer(const std::filesystem::path& file, Connection& writer, int pages);
  // Stops the thread (a checkpoint under way finishes first).
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void run() noexcept;

  Connection& writer_;
  const int pages_;
  Connection db_;
  std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything above exists
};

}  // namespace rh::host::detail
