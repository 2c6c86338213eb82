// Store::info and Store::prune.
#include "base/clock.hpp"
#include "store/store_impl.hpp"
#include "store/store_json.hpp"
#include "store/store_schema.hpp"

#include <system_error>
#include <unordered_set>

namespace rh::host {
namespace {

using detail::Statement;
using detail::StatementScope;

std::uint64_t file_size_or_zero(const std::filesystem::path& file) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(file, error);
  return error ? 0 : static_cast<std::uint64_t>(size);
}

}  // namespace

StoreInfo Store::info() {
  StoreInfo info;
  info.path = impl_->options.path.string();
  {
    auto reader = impl_->readers.acquire();
    detail::Connection& db = reader->connection();
    detail::ReadTransaction snapshot(db);  // the counts of one moment
    info.schema_version = detail::schema_version(db);
    // The writer keeps each flow run's tallies, so no count walks the task runs.
    Statement& s =
        reader->statement("SELECT count(*), coalesce(sum(task_runs), 0), coalesce(sum(results), 0) FROM flow_runs");
    StatementScope scope(s);
    s.step();
    info.flow_runs = static_cast<std::uint64_t>(s.column_int(0));
    info.task_runs = static_cast<std::uint64_t>(s.column_int(1));
    info.persisted_results = static_cast<std::uint64_t>(s.column_int(2));
    Statement& c = reader->statement("SELECT count(*) FROM cache_entries");
    StatementScope cache_scope(c);
    c.step();
    info.cache_entries = static_cast<std::uint64_t>(c.column_int(0));
  }
  for (const detail::ResultFiles::Entry& file : impl_->files.list()) {
    ++info.result_files;
    info.result_file_bytes += file.bytes;
  }
  const std::string db = impl_->options.path.string();
  info.file_bytes = file_size_or_zero(db) + file_size_or_zero(db + "-wal") + info.result_file_bytes;
  return info;
}

PruneResult Store::prune(std::int64_t before_us) {
  detail::StoreWriter& writer = impl_->writer_for("prune it");
  writer.flush();  // what this process queued is in the store before it is judged
  const std::int64_t now_us = wall_us();
  PruneResult result;
  std::vector<std::string> doomed_files;

  // A connection of its own: the writer's belongs to the writer thread, the pooled ones
  // are read-only. Its BEGIN IMMEDIATE waits for (and then holds off) every writer, this
  // process's and others', within their busy timeouts.
  detail::Connection db(impl_->options.path, SQLITE_OPEN_READWRITE);
  db.check(sqlite3_busy_timeout(db.get(), static_cast<int>(impl_->options.busy_timeout.count())));
  {
    detail::Transaction transaction(db);
    {
      Statement s = db.prepare("DELETE FROM cache_entries WHERE expires_us != 0 AND expires_us <= ?1", false);
      s.bind(1, now_us);
      s.run();
      result.cache_entries = static_cast<std::uint64_t>(sqlite3_changes(db.get()));
    }
    {
      // Leases that ran out: their holders stopped renewing them (killed, or gone).
      Statement s = db.prepare("DELETE FROM locks WHERE expires_us <= ?1", false);
      s.bind(1, now_us);
      s.run();
    }
    {
      Statement s = db.prepare("DELETE FROM transactions WHERE committed_us < ?1", false);
      s.bind(1, before_us);
      s.run();
      result.transactions = static_cast<std::uint64_t>(sqlite3_changes(db.get()));
    }
    // Every entry left is unexpired: the task runs they point at stay.
    db.exec(
        "CREATE TEMP TABLE prune_kept (id INTEGER PRIMARY KEY);"
        "INSERT OR IGNORE INTO prune_kept SELECT (flow_run << 36) | run_no FROM cache_entries;");

    std::vector<std::pair<std::int64_t, std::string>> old_runs;  // row, its result file
    {
      Statement s = db.prepare("SELECT id, result_file FROM flow_runs WHERE coalesce(end_us, start_us) < ?1", false);
      s.bind(1, before_us);
      while (s.step()) old_runs.emplace_back(s.column_int(0), s.column_text(1));
    }
    Statement files = db.prepare(
        "SELECT result_file FROM task_runs WHERE id BETWEEN ?1 AND ?2 AND result_file IS NOT NULL "
        "AND id NOT IN (SELECT id FROM temp.prune_kept)");
    Statement remove =
        db.prepare("DELETE FROM task_runs WHERE id BETWEEN ?1 AND ?2 AND id NOT IN (SELECT id FROM temp.prune_kept)");
    Statement left = db.prepare(
        "SELECT state, result IS NOT NULL OR result_file IS NOT NULL FROM task_runs "
        "WHERE id BETWEEN ?1 AND ?2");
    Statement remove_run = db.prepare("DELETE FROM flow_runs WHERE id = ?1");
    Statement retally = db.prepare("UPDATE flow_runs SET task_runs = ?2, results = ?3, counts = ?4 WHERE id = ?1");
    for (const auto& [row, run_file] : old_runs) {
      const std::int64_t first = detail::task_run_key(row, 0);
      const std::int64_t last = detail::task_run_key(row, detail::kMaxRunNo);
      files.bind(1, first);
      files.bind(2, last);
      while (files.step()) doomed_files.push_back(files.column_text(0));
      files.reset();
      remove.bind(1, first);
      remove.bind(2, last);
      remove.run();
      result.task_runs += static_cast<std::uint64_t>(sqlite3_changes(db.get()));

      // What is left is what a cache entry uses; the flow run stays with it (a cache hit
      // names its flow run), its tallies now those of what is left.
      std::uint64_t kept = 0;
      std::uint64_t kept_results = 0;
      detail::StateCounts counts{};
      left.bind(1, first);
      left.bind(2, last);
      while (left.step()) {
        ++kept;
        if (left.column_int(1) != 0) ++kept_results;
        if (auto state = state_from_name(left.column_view(0))) ++counts[static_cast<std::size_t>(*state)];
      }
      left.reset();
      if (kept == 0) {
        remove_run.bind(1, row);
        remove_run.run();
        ++result.flow_runs;
        if (!run_file.empty()) doomed_files.push_back(run_file);
      } else {
        const std::string text = detail::counts_json(counts);
        retally.bind(1, row);
        retally.bind(2, static_cast<std::int64_t>(kept));
        retally.bind(3, static_cast<std::int64_t>(kept_results));
        retally.bind(4, text);
        retally.run();
        result.kept_for_cache += kept;
      }
    }
    transaction.commit();
  }
  // Free pages are reused by later writes; the file does not shrink. VACUUM would shrink it
  // but rewrites the whole database under the write lock, so it is left to the user
  // (docs/store.md).

  // Files after the rows: a crash in between leaves orphans, which the next prune removes.
  for (const std::string& name : doomed_files) {
    if (impl_->files.remove(name)) ++result.result_files;
  }
  // Orphans: files no row names, from a crash between a file and its row, or between a
  // prune's commit and its removals. Only old ones: a young one may be the file of a batch
  // another process has not committed yet.
  std::unordered_set<std::string> named;
  {
    Statement s = db.prepare(
        "SELECT result_file FROM task_runs WHERE result_file IS NOT NULL "
        "UNION ALL SELECT result_file FROM flow_runs WHERE result_file IS NOT NULL",
        false);
    while (s.step()) named.insert(s.column_text(0));
  }
  for (const detail::ResultFiles::Entry& file : impl_->files.list(true)) {
    if (file.modified_us < before_us && named.count(file.name) == 0 && impl_->files.remove(file.name)) {
      ++result.result_files;
    }
  }
  return result;
}

}  // namespace rh::host
