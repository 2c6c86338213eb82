#include "store/checkpointer.hpp"

namespace rh::host::detail {

Checkpointer::Checkpointer(const std::filesystem::path& file, Connection& writer, int pages)
    : writer_(writer), pages_(pages < 1 ? 1 : pages), db_(file, SQLITE_OPEN_READWRITE), thread_([this] { run(); }) {
  // Replaces SQLite's automatic checkpoint of the writer's connection (one hook per connection).
  sqlite3_wal_hook(writer.get(), &Checkpointer::on_commit, this);
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_.get(), nullptr, nullptr);  // the writer has stopped: no commit races this
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int Checkpointer::on_commit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto& checkpointer = *static_cast<Checkpointer*>(self);
  if (wal_pages >= 4 * checkpointer.pages_) {
    // Errors leave the WAL as it is; the next commit tries again.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (wal_pages >= checkpointer.pages_) {
    {
      std::lock_guard<std::mutex> lock(checkpointer.mutex_);
      checkpointer.due_ = true;
    }
    checkpointer.wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::run() noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for the writer or readers.
    // A busy or failed one changes nothing: the next commit past the size asks again.
    sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace rh::host::detail
