#include "store/store_writer.hpp"

#include <algorithm>

namespace rh::host::detail {
namespace {

constexpr std::size_t kListedTaskRuns = 1000;  // WriteFailures::task_runs keeps the first ones

}  // namespace

StoreWriter::StoreWriter(std::unique_ptr<Connection> connection, const StoreOptions& options, ResultFiles& files)
    : batch_(std::move(connection), options, files),
      checkpointer_(options.path, batch_.connection(), options.checkpoint_pages),
      max_queued_(std::max<std::size_t>(options.max_queued, 1)),
      max_batch_(std::max<std::size_t>(options.max_batch, 1)),
      flush_interval_(std::max(options.flush_interval, std::chrono::milliseconds(0))),
      // As many emptied batches as a full queue holds: that memory is within the queue's
      // bound anyway, and a batch that is reused does not fault its pages in again.
      max_spares_(max_queued_ / max_batch_ + 1),
      thread_([this] { run(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  writer_wake_.notify_one();
  thread_.join();
}

void StoreWriter::enqueue(StoreRecord record) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (queued_ >= max_queued_) {
    ++producers_waiting_;
    writer_wake_.notify_one();  // the front chunk is due now, full or not
    room_.wait(lock, [this] { return queued_ < max_queued_; });
    --producers_waiting_;
  }
  bool wake = false;
  if (chunks_.empty() || chunks_.back().records.size() >= max_batch_) {
    Chunk chunk;
    chunk.first_queued = Clock::now();
    if (!spare_.empty()) {
      chunk.records = std::move(spare_.back());
      spare_.pop_back();
    } else if (!chunks_.empty()) {
      // A burst (a batch is queued already): this one will fill too, so it grows once.
      chunk.records.reserve(max_batch_);
    }
    chunks_.push_back(std::move(chunk));
    wake = chunks_.size() == 1;  // the writer sleeps without a deadline on an empty queue
  }
  // Another process may be polling for a released lock: its batch is due now.
  const bool urgent = std::holds_alternative<LockRelease>(record);
  std::vector<StoreRecord>& records = chunks_.back().records;
  records.push_back(std::move(record));
  if (records.size() == max_batch_ && chunks_.size() == 1) wake = true;
  ++queued_;
  ++enqueued_;
  if (urgent) {
    flush_target_ = std::max(flush_target_, enqueued_);
    wake = true;
  }
  high_water_ = std::max(high_water_, queued_);
  lock.unlock();
  if (wake) writer_wake_.notify_one();
}

void StoreWriter::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t target = enqueued_;
  if (done_ >= target) return;
  flush_target_ = std::max(flush_target_, target);
  writer_wake_.notify_one();
  written_.wait(lock, [this, target] { return done_ >= target; });
}

WriteFailures StoreWriter::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

std::size_t StoreWriter::queued_high_water() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return high_water_;
}

bool StoreWriter::front_due(Clock::time_point now) const {
  const Chunk& front = chunks_.front();
  return stopping_ || chunks_.size() > 1 || front.records.size() >= max_batch_ || producers_waiting_ > 0 ||
         flush_target_ > done_ || now >= front.first_queued + flush_interval_;
}

void StoreWriter::run() noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (chunks_.empty()) {
      if (stopping_) return;
      writer_wake_.wait(lock);
      continue;
    }
    if (!front_due(Clock::now())) {
      writer_wake_.wait_until(lock, chunks_.front().first_queued + flush_interval_);
      continue;
    }
    std::vector<StoreRecord> records = std::move(chunks_.front().records);
    chunks_.pop_front();
    queued_ -= records.size();
    if (producers_waiting_ > 0) room_.notify_all();
    lock.unlock();

    BatchResult result = batch_.write(records);

    lock.lock();
    if (!result.failed.empty()) record_failures(records, result);
    done_ += records.size();
    written_.notify_all();
    // Destroying the records (their strings) is the writer's work too, but not under the
    // lock producers need.
    lock.unlock();
    records.clear();
    lock.lock();
    if (spare_.size() < max_spares_) spare_.push_back(std::move(records));
  }
}

void StoreWriter::record_failures(const std::vector<StoreRecord>& records, BatchResult& result) {
  failures_.records += result.failed.size();
  if (failures_.first_error.empty()) failures_.first_error = std::move(result.first_error);
  for (const std::size_t index : result.failed) {
    if (failures_.task_runs.size() >= kListedTaskRuns) break;
    if (const auto* task_run = std::get_if<TaskRunRecord>(&records[index])) {
      failures_.task_runs.push_back(task_run->flow_run_id + "/" + std::to_string(task_run->run_no));
    }
  }
}

}  // namespace rh::host::detail
