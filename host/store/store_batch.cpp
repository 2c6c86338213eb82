#include "store/store_batch.hpp"

#include "base/clock.hpp"
#include "store/store_schema.hpp"

namespace rh::host::detail {
namespace {

constexpr const char* kInsertFlowRun =
    "INSERT INTO flow_runs (uuid, name, flow, is_flow, library, library_version, params, command_line, runner, "
    "resumed_from, start_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr const char* kEndFlowRun =
    "UPDATE flow_runs SET end_us = ?2, state = ?3, message = ?4, history = ?5, result = ?6, result_file = ?7, "
    "result_bytes = ?8, error_type = ?9, error_message = ?10 WHERE uuid = ?1";
constexpr const char* kFindFlowRun = "SELECT id FROM flow_runs WHERE uuid = ?1";
constexpr const char* kInsertTaskRun =
    "INSERT INTO task_runs (id, flow_run, run_no, parent_run_no, task, name, library, library_version, task_version, "
    "params, state, history, run_count, result, result_file, result_bytes, error_type, error_message, start_us, "
    "end_us, run_time_us, cache_key, cache_expires_us, upstreams) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)";
// A newer entry under the same key replaces the older one (it points at a newer result).
constexpr const char* kUpsertCacheEntry =
    "INSERT OR REPLACE INTO cache_entries (key, task, flow_run, run_no, created_us, expires_us) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kUpsertTransaction =
    "INSERT OR REPLACE INTO transactions (key, flow_run, committed_us, vals) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kDeleteLock = "DELETE FROM locks WHERE key = ?1 AND token = ?2";
constexpr const char* kReadCounts = "SELECT counts FROM flow_runs WHERE id = ?1";
constexpr const char* kAddTallies =
    "UPDATE flow_runs SET task_runs = task_runs + ?2, results = results + ?3, counts = ?4 WHERE id = ?1";

// Errors of one statement that leave the transaction usable: the record is left out and
// the batch goes on. Anything else (full, I/O, busy, corrupt, out of memory) ends the batch.
bool record_level(const SqliteError& error, sqlite3* db) {
  const int code = error.primary_code();
  const bool own =
      code == SQLITE_CONSTRAINT || code == SQLITE_TOOBIG || code == SQLITE_MISMATCH || code == SQLITE_RANGE;
  return own && sqlite3_get_autocommit(db) == 0;
}

std::string task_run_name(const TaskRunRecord& record) {
  return record.flow_run_id + "/" + std::to_string(record.run_no);
}

}  // namespace

BatchWriter::BatchWriter(std::unique_ptr<Connection> connection, const StoreOptions& options, ResultFiles& files)
    : db_(std::move(connection)), options_(options), files_(files) {
  insert_flow_run_ = db_->prepare(kInsertFlowRun);
  end_flow_run_ = db_->prepare(kEndFlowRun);
  find_flow_run_ = db_->prepare(kFindFlowRun);
  insert_task_run_ = db_->prepare(kInsertTaskRun);
  upsert_cache_entry_ = db_->prepare(kUpsertCacheEntry);
  upsert_transaction_ = db_->prepare(kUpsertTransaction);
  delete_lock_ = db_->prepare(kDeleteLock);
  read_counts_ = db_->prepare(kReadCounts);
  add_tallies_ = db_->prepare(kAddTallies);
}

BatchResult BatchWriter::write(const std::vector<StoreRecord>& records) noexcept {
  BatchResult result;
  write_range(records, 0, records.size(), result);
  return result;
}

bool BatchWriter::write_range(const std::vector<StoreRecord>& records, std::size_t begin, std::size_t end,
                              BatchResult& result) noexcept {
  flow_rows_.clear();
  written_files_.clear();
  tallies_.clear();
  const std::size_t failed_before = result.failed.size();
  const std::string error_before = result.first_error;
  std::string batch_error;
  bool full = false;
  try {
    write_all(records, begin, end, result);
    return true;
  } catch (const SqliteError& e) {
    batch_error = e.what();
    full = e.primary_code() == SQLITE_FULL;
  } catch (const std::exception& e) {
    batch_error = e.what();
  } catch (...) {
    batch_error = store_message(db_->file(), "unknown error while writing");
  }
  // The transaction is rolled back (Transaction's destructor ran): nothing of the range is
  // in the store, so its result files go too.
  for (const std::string& name : written_files_) files_.remove(name);
  written_files_.clear();
  result.failed.resize(failed_before);
  result.first_error = error_before;
  if (full && end - begin > 1) {
    // What fits still goes in: the first half, then (if that fitted) the second. Once a
    // single record does not fit, the rest of the batch is not tried, so a store that stays
    // full costs a batch about log2(max_batch) failed transactions, not one per record.
    const std::size_t middle = begin + (end - begin) / 2;
    if (write_range(records, begin, middle, result)) return write_range(records, middle, end, result);
    begin = middle;
  }
  if (result.first_error.empty()) result.first_error = std::move(batch_error);
  for (std::size_t i = begin; i < end; ++i) result.failed.push_back(i);
  return !full;
}

void BatchWriter::write_all(const std::vector<StoreRecord>& records, std::size_t begin, std::size_t end,
                            BatchResult& result) {
  Transaction transaction(*db_);
  for (std::size_t i = begin; i < end; ++i) {
    const std::size_t files_before = written_files_.size();
    std::string error;
    try {
      error = std::visit([this](const auto& record) { return write_one(record); }, records[i]);
    } catch (const SqliteError& e) {
      if (!record_level(e, db_->get())) throw;
      error = e.what();
    } catch (const StoreError& e) {  // a result file that could not be written
      error = e.what();
    }
    if (error.empty()) continue;
    // The record is left out, with whatever file it wrote before its row failed.
    for (std::size_t f = files_before; f < written_files_.size(); ++f) files_.remove(written_files_[f]);
    written_files_.resize(files_before);
    result.failed.push_back(i);
    if (result.first_error.empty()) result.first_error = std::move(error);
  }
  write_tallies();
  transaction.commit();
}

std::int64_t BatchWriter::flow_run_row(const std::string& uuid) {
  if (auto found = flow_rows_.find(uuid); found != flow_rows_.end()) return found->second;
  // Looked up within this batch's transaction, never cached across batches: a batch that
  // rolled back or a prune by another process cannot leave a stale row number behind.
  StatementScope scope(find_flow_run_);
  find_flow_run_.bind(1, uuid);
  const std::int64_t row = find_flow_run_.step() ? find_flow_run_.column_int(0) : 0;
  flow_rows_.emplace(uuid, row);
  return row;
}

std::string BatchWriter::result_file_for(const std::string& run_uuid, const std::string& result) {
  if (result.size() <= options_.inline_result_bytes) return {};
  std::string name = ResultFiles::file_name(run_uuid);
  files_.write(name, result);
  written_files_.push_back(name);
  return name;
}

std::string BatchWriter::write_one(const FlowRunStart& record) {
  Statement& s = insert_flow_run_;
  s.bind(1, record.id);
  s.bind(2, record.name);
  s.bind(3, record.flow);
  s.bind(4, std::int64_t{record.is_flow ? 1 : 0});
  s.bind_or_null(5, record.library);
  s.bind_or_null(6, record.library_version);
  s.bind_or_null(7, record.params);
  s.bind_or_null(8, record.command_line);
  s.bind_or_null(9, record.runner);
  s.bind_or_null(10, record.resumed_from);
  s.bind(11, record.start_us);
  s.run();
  flow_rows_[record.id] = sqlite3_last_insert_rowid(db_->get());
  return {};
}

std::string BatchWriter::write_one(const FlowRunEnd& record) {
  history_.clear();
  append_history_json(history_, record.history);
  const std::string file = result_file_for(record.id, record.result);
  Statement& s = end_flow_run_;
  s.bind(1, record.id);
  s.bind(2, record.end_us);
  s.bind(3, state_name(record.state));
  s.bind_or_null(4, record.message);
  s.bind(5, history_);
  if (!file.empty()) {
    s.bind_null(6);
    s.bind(7, file);
    s.bind(8, static_cast<std::int64_t>(record.result.size()));
  } else {
    s.bind_or_null(6, record.result);
    s.bind_null(7);
    s.bind_null(8);
  }
  s.bind_or_null(9, record.error_type);
  s.bind_or_null(10, record.error_message);
  s.run();
  if (sqlite3_changes(db_->get()) == 0) {
    return store_message(db_->file(), "flow run " + record.id + " ended, but it is not in the store");
  }
  return {};
}

std::string BatchWriter::write_one(const TransactionRecord& record) {
  Statement& s = upsert_transaction_;
  s.bind(1, record.key);
  s.bind(2, record.flow_run_id);
  s.bind(3, record.committed_us);
  s.bind(4, record.values.empty() ? std::string_view("{}") : std::string_view(record.values));
  s.run();
  return {};
}

std::string BatchWriter::write_one(const LockRelease& record) {
  Statement& s = delete_lock_;
  s.bind(1, record.key);
  s.bind(2, record.token);
  s.run();
  return {};
}

std::string BatchWriter::write_one(const TaskRunRecord& record) {
  const std::int64_t row = flow_run_row(record.flow_run_id);
  if (row == 0) {
    return store_message(db_->file(), "task run " + task_run_name(record) + " belongs to flow run " +
                                          record.flow_run_id + ", which is not in the store");
  }
  if (row > kMaxFlowRunRow || record.run_no > static_cast<std::uint64_t>(kMaxRunNo)) {
    return store_message(db_->file(), "task run " + task_run_name(record) +
                                          " is beyond the store's key space (flow run row " + std::to_string(row) +
                                          ", run number above 2^36)");
  }
  history_.clear();
  append_history_json(history_, record.history);
  const auto run_no = static_cast<std::int64_t>(record.run_no);
  std::string file;
  if (record.result_persisted && record.result.size() > options_.inline_result_bytes) {
    file = result_file_for(task_run_uuid(record.flow_run_id, record.run_no), record.result);
  }

  Statement& s = insert_task_run_;
  s.bind(1, task_run_key(row, run_no));
  s.bind(2, row);
  s.bind(3, run_no);
  s.bind(4, static_cast<std::int64_t>(record.parent_run_no));
  s.bind(5, record.task);
  s.bind(6, record.name);
  s.bind_or_null(7, record.library);
  s.bind_or_null(8, record.library_version);
  s.bind_or_null(9, record.task_version);
  s.bind_or_null(10, record.params);
  s.bind(11, state_name(record.state));
  s.bind(12, history_);
  s.bind(13, std::int64_t{record.run_count});
  if (!record.result_persisted) {
    s.bind_null(14);
    s.bind_null(15);
    s.bind_null(16);
  } else if (!file.empty()) {
    s.bind_null(14);
    s.bind(15, file);
    s.bind(16, static_cast<std::int64_t>(record.result.size()));
  } else {
    s.bind(14, record.result);  // "" stays "" (a persisted empty result), not NULL
    s.bind_null(15);
    s.bind_null(16);
  }
  s.bind_or_null(17, record.error_type);
  s.bind_or_null(18, record.error_message);
  s.bind(19, record.start_us);
  s.bind(20, record.end_us);
  s.bind(21, record.run_time_us);
  if (record.cache_key.empty()) {
    s.bind_null(22);
    s.bind_null(23);
  } else {
    s.bind(22, record.cache_key);
    s.bind(23, record.cache_expires_us);
  }
  if (record.upstreams.empty()) {
    s.bind_null(24);
  } else {
    upstreams_.clear();
    for (const std::uint64_t upstream : record.upstreams) {
      if (!upstreams_.empty()) upstreams_ += ' ';
      upstreams_ += std::to_string(upstream);
    }
    s.bind(24, upstreams_);
  }
  s.run();

  // Only a run that computed its result (Completed, not Cached: a cache hit points at the run
  // it came from) and persisted it can be a cache entry.
  if (!record.cache_key.empty() && record.state == StateId::Completed && record.result_persisted) {
    Statement& c = upsert_cache_entry_;
    c.bind(1, record.cache_key);
    c.bind(2, record.task);
    c.bind(3, row);
    c.bind(4, run_no);
    c.bind(5, record.end_us != 0 ? record.end_us : wall_us());
    c.bind(6, record.cache_expires_us);
    c.run();
  }

  Tally& tally = tallies_[row];
  ++tally.task_runs;
  if (record.result_persisted) ++tally.results;
  ++tally.by_state[static_cast<std::size_t>(record.state)];
  return {};
}

void BatchWriter::write_tallies() {
  for (const auto& [row, tally] : tallies_) {
    StateCounts counts{};
    {
      StatementScope scope(read_counts_);
      read_counts_.bind(1, row);
      if (read_counts_.step()) {
        try {
          counts = parse_counts_json(read_counts_.column_view(0));
        } catch (const std::runtime_error&) {
          // Only a hand-edited row can hold bad counts; they are a tally for display, so the
          // batch's own counts replace them rather than losing the batch.
          counts = {};
        }
      }
    }
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += tally.by_state[i];
    const std::string text = counts_json(counts);
    Statement& s = add_tallies_;
    s.bind(1, row);
    s.bind(2, static_cast<std::int64_t>(tally.task_runs));
    s.bind(3, static_cast<std::int64_t>(tally.results));
    s.bind(4, text);
    s.run();
  }
}

}  // namespace rh::host::detail
