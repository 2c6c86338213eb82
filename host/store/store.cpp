#include "store/store.hpp"

#include "store/sqlite_handle.hpp"
#include "store/store_impl.hpp"
#include "store/store_schema.hpp"

#include <sqlite3.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

namespace rh::host {
namespace {

// The writer's page cache: the pages a batch appends to and the B-tree pages above them stay
// in memory from batch to batch.
constexpr const char* kWriterPragmas =
    "PRAGMA synchronous = NORMAL;"  // commits are not synced; checkpoints are (docs/store.md: durability)
    "PRAGMA cache_size = -32768;"   // KiB
    // (No checkpoint in the writer's connection: its Checkpointer runs them on a thread of
    // their own, store/checkpointer.hpp.) The WAL file shrinks back to 64 MiB after a
    // checkpoint reset it, so one burst does not leave a file of its size behind.
    "PRAGMA journal_size_limit = 67108864;";

std::string path_text(const std::filesystem::path& path) { return path.string(); }

}  // namespace

Store::Impl::Impl(StoreOptions store_options)
    : options(std::move(store_options)), files(options.path), readers(options.path, options.busy_timeout) {
  const std::filesystem::path& path = options.path;
  if (path.empty()) throw StoreError("store: no file given");
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (std::filesystem::is_directory(status)) throw StoreError("store " + path_text(path) + " is a directory");

  if (options.read_only) {
    if (!std::filesystem::exists(status)) throw StoreError("store " + path_text(path) + " does not exist");
    auto first = std::make_unique<detail::ReadConnection>(path, options.busy_timeout);
    detail::check_store_file(first->connection(), true);
    readers.add(std::move(first));
    return;
  }

  const std::filesystem::path folder = path.parent_path();
  if (!folder.empty()) {
    std::filesystem::create_directories(folder, error);
    if (error) throw StoreError(message("cannot create folder " + path_text(folder) + ": " + error.message()));
  }
  // SQLite would only say "unable to open database file"; say why.
  if (!std::filesystem::exists(status) && ::access(folder.empty() ? "." : folder.c_str(), W_OK | X_OK) != 0) {
    throw StoreError(message("cannot create it in " + (folder.empty() ? std::string(".") : path_text(folder)) + ": " +
                             std::strerror(errno)));
  }
  auto connection = std::make_unique<detail::Connection>(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  // SQLite opens a file it may not write read-only, without saying so.
  if (sqlite3_db_readonly(connection->get(), "main") == 1) {
    throw StoreError(message("cannot write to it (permission denied); read commands open it read-only"));
  }
  connection->check(sqlite3_busy_timeout(connection->get(), static_cast<int>(options.busy_timeout.count())));
  // Two processes creating one new store at once: the one that loses the race for the
  // journal mode switch or the first migration gets SQLITE_BUSY at once (SQLite's busy
  // handler does not cover those steps), so the setup is retried until the busy timeout.
  const auto give_up = std::chrono::steady_clock::now() + options.busy_timeout;
  for (;;) {
    try {
      detail::check_store_file(*connection, false);
      if (connection->query_int("PRAGMA page_count") == 0) {
        connection->exec(("PRAGMA page_size = " + std::to_string(detail::kStorePageSize)).c_str());
      }
      const std::string mode = connection->query_text("PRAGMA journal_mode = WAL");
      if (mode != "wal") {
        throw StoreError(message("cannot use write-ahead logging (its journal mode stays '" + mode + "')"));
      }
      connection->exec(kWriterPragmas);
      detail::migrate(*connection);
      break;
    } catch (const detail::SqliteError& e) {
      if (e.primary_code() != SQLITE_BUSY || std::chrono::steady_clock::now() >= give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (options.max_bytes > 0) {
    const std::int64_t page = connection->query_int("PRAGMA page_size");
    const std::int64_t pages = std::max<std::int64_t>(1, options.max_bytes / page);
    connection->query_int(("PRAGMA max_page_count = " + std::to_string(pages)).c_str());
  }
  writer = std::make_unique<detail::StoreWriter>(std::move(connection), options, files);
}

detail::StoreWriter& Store::Impl::writer_for(const char* what) {
  if (!writer) throw StoreError("store " + path_text(options.path) + " is open read-only: cannot " + what);
  return *writer;
}

Store::Store(StoreOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Store::~Store() = default;

const std::filesystem::path& Store::path() const noexcept { return impl_->options.path; }

void Store::flow_run_started(FlowRunStart record) { impl_->writer_for("write a flow run").enqueue(std::move(record)); }

void Store::transaction_committed(TransactionRecord record) {
  impl_->writer_for("write a transaction").enqueue(std::move(record));
}

void Store::flow_run_ended(FlowRunEnd record) { impl_->writer_for("write a flow run").enqueue(std::move(record)); }

void Store::task_run_ended(TaskRunRecord record) { impl_->writer_for("write a task run").enqueue(std::move(record)); }

void Store::flush() {
  if (impl_->writer) impl_->writer->flush();
}

void Store::acquire_lock(std::string key, std::string holder, std::function<void(LockGrant)> done) {
  detail::StoreLocks* locks = nullptr;
  try {
    impl_->writer_for("lock a key");
    std::lock_guard<std::mutex> lock(impl_->locks_mutex);
    if (!impl_->locks) impl_->locks = std::make_unique<detail::StoreLocks>(impl_->options);
    locks = impl_->locks.get();
  } catch (const std::exception& e) {
    done(LockGrant{{}, e.what()});
    return;
  }
  locks->acquire(std::move(key), std::move(holder), std::move(done));
}

void Store::release_lock(std::string key, std::string token) {
  impl_->writer_for("release a lock").enqueue(LockRelease{std::move(key), std::move(token)});
}

void Store::cancel_lock_requests() {
  std::lock_guard<std::mutex> lock(impl_->locks_mutex);
  if (impl_->locks) impl_->locks->cancel_all();
}

WriteFailures Store::write_failures() const { return impl_->writer ? impl_->writer->failures() : WriteFailures{}; }

std::size_t Store::queued_high_water() const { return impl_->writer ? impl_->writer->queued_high_water() : 0; }

}  // namespace rh::host
