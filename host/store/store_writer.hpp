// The store's writer thread and its bounded queue.
//
// Producers (any thread) append records to a queue of chunks, each chunk one future batch
// of at most max_batch records stamped with the time its first record arrived. The writer
// commits the front chunk once it is full, once flush_interval has passed since that first
// record, when flush() asks, when producers are waiting for room, or when the store closes.
// Chunks keep the clock off the producers' path: one clock read per chunk, not per record.
//
// Backpressure: at most max_queued records wait in the queue (not counting the batch being
// written). A producer that finds it full waits on a condition variable until the writer
// has taken a batch out, so a disk slower than the tasks slows the tasks down instead of
// growing memory without bound.
#pragma once

#include "store/checkpointer.hpp"
#include "store/store_batch.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace rh::host::detail {

class StoreWriter {
 public:
  // Starts the writer thread, which from then on is the only user of the connection.
  StoreWriter(std::unique_ptr<Connection> connection, const StoreOptions& options, ResultFiles& files);
  // Commits everything queued, then stops the thread.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues one record; waits while the queue holds max_queued records.
  void enqueue(StoreRecord record);
  // Waits until every record queued before the call is committed or counted as failed.
  void flush();
  WriteFailures failures() const;
  // The most records the queue ever held at once (tests: the bound holds).
  std::size_t queued_high_water() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Chunk {
    Clock::time_point first_queued;
    std::vector<StoreRecord> records;
  };

  void run() noexcept;
  // True when the front chunk should be written now (the lock held).
  bool front_due(Clock::time_point now) const;
  void record_failures(const std::vector<StoreRecord>& records, BatchResult& result);

  BatchWriter batch_;
  Checkpointer checkpointer_;  // before the thread: it hooks the connection's commits first
  const std::size_t max_queued_;
  const std::size_t max_batch_;
  const Clock::duration flush_interval_;
  const std::size_t max_spares_;

  mutable std::mutex mutex_;
  std::condition_variable writer_wake_;  // work for the writer
  std::condition_variable room_;         // the queue has room again
  std::condition_variable written_;      // a batch was committed or failed
  std::deque<Chunk> chunks_;
  std::vector<std::vector<StoreRecord>> spare_;  // emptied batches, their capacity kept
  std::size_t queued_ = 0;
  std::size_t high_water_ = 0;
  std::size_t producers_waiting_ = 0;
  std::uint64_t enqueued_ = 0;      // records ever queued
  std::uint64_t done_ = 0;          // records ever committed or failed
  std::uint64_t flush_target_ = 0;  // flush() waits until done_ reaches it
  bool stopping_ = false;
  WriteFailures failures_;

  std::thread thread_;  // last: it starts once everything above is ready
};

}  // namespace rh::host::detail
