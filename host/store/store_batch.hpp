// The writer's SQL: one batch of queued records as one BEGIN IMMEDIATE transaction on the
// writer's own connection, with statements prepared once and reused for every row. Used by
// one thread at a time (the writer thread; store_writer.hpp).
#pragma once

#include "store/result_files.hpp"
#include "store/sqlite_handle.hpp"
#include "store/store_json.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace rh::host::detail {

using StoreRecord = std::variant<FlowRunStart, FlowRunEnd, TaskRunRecord, TransactionRecord, LockRelease>;

struct BatchResult {
  std::vector<std::size_t> failed;  // indexes of the records that were not written
  std::string first_error;          // why the first of them was not (one line naming the file)
};

class BatchWriter {
 public:
  BatchWriter(std::unique_ptr<Connection> connection, const StoreOptions& options, ResultFiles& files);

  // Writes every record it can, in one transaction. A record that cannot be written on its
  // own (its flow run is not in the store, a duplicate, its result file cannot be written)
  // is left out and the rest committed; an error that ends the transaction (I/O, the lock
  // not obtained within the busy timeout) rolls the whole batch back and removes the result
  // files it wrote. A full store (disk, or store.max_size_mb) is retried in halves, first
  // to last, so that the records that fit are kept: the first ones of a flow run (its start)
  // before the later ones. Never throws.
  BatchResult write(const std::vector<StoreRecord>& records) noexcept;
  Connection& connection() noexcept { return *db_; }

 private:
  // Per flow run touched by the batch: what the batch adds to its tallies in flow_runs.
  struct Tally {
    std::uint64_t task_runs = 0;
    std::uint64_t results = 0;
    StateCounts by_state{};
  };

  // records[begin, end) in one transaction; false when it did not fit in a full store (the
  // caller tries nothing after it).
  bool write_range(const std::vector<StoreRecord>& records, std::size_t begin, std::size_t end,
                   BatchResult& result) noexcept;
  void write_all(const std::vector<StoreRecord>& records, std::size_t begin, std::size_t end, BatchResult& result);
  // Each returns "" when written, else why the record was left out.
  std::string write_one(const FlowRunStart& record);
  std::string write_one(const FlowRunEnd& record);
  std::string write_one(const TaskRunRecord& record);
  std::string write_one(const TransactionRecord& record);
  std::string write_one(const LockRelease& record);
  void write_tallies();
  // The flow run's row number, or 0 when it is not in the store.
  std::int64_t flow_run_row(const std::string& uuid);
  // Writes a result above the inline size as a file; its name, or "" when it stays inline.
  std::string result_file_for(const std::string& run_uuid, const std::string& result);

  std::unique_ptr<Connection> db_;
  StoreOptions options_;
  ResultFiles& files_;
  Statement insert_flow_run_;
  Statement end_flow_run_;
  Statement find_flow_run_;
  Statement insert_task_run_;
  Statement upsert_cache_entry_;
  Statement upsert_transaction_;
  Statement delete_lock_;
  Statement read_counts_;
  Statement add_tallies_;

  // Valid for one batch only: rows found or added by it, files it wrote, its tallies.
  std::unordered_map<std::string, std::int64_t> flow_rows_;
  std::vector<std::string> written_files_;
  std::unordered_map<std::int64_t, Tally> tallies_;
  std::string history_;  // reused text buffers
  std::string upstreams_;
};

}  // namespace rh::host::detail
