#include "engine/run_scope.hpp"

#include "engine/engine.hpp"
#include "engine/resume_set.hpp"
#include "store/store_records.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <new>
#include <optional>

namespace rh::host {

namespace {
// How often the retiring thread looks, besides being woken when the held runs doubled: a
// pass also retires runs that finished since the last one when no new runs arrive.
constexpr auto kRetirePeriod = std::chrono::milliseconds(20);
}  // namespace

RunScope::RunScope(Engine& engine) : engine_(engine), flow_run_uuid_(new_flow_run_uuid()) {}

RunScope::~RunScope() { stop_retiring(); }

RunRef RunScope::create_run(const TaskDef& task, std::uint64_t parent_id, std::string name, std::string params,
                            bool is_flow_run) {
  // Ids are taken under the lock so that runs_ stays sorted; the allocation is not.
  void* memory = ::operator new(sizeof(Run));
  std::unique_lock<SpinLock> lock(mutex_);
  const std::uint64_t id = engine_.next_run_id();
  RunRef run(new (memory) Run(engine_, task, this, id, parent_id, is_flow_run ? id : flow_run_id_, std::move(name),
                              std::move(params)));
  outstanding_.fetch_add(1, std::memory_order_relaxed);
  if (is_flow_run) {
    flow_run_ = run;
    flow_run_id_ = id;
    return run;
  }
  runs_.push_back(run);
  ++created_;
  if (retained_runs_ == 0 || runs_.size() < retained_runs_ || retiring_started_.load(std::memory_order_relaxed)) {
    return run;
  }
  lock.unlock();
  // The bound is reached: from now on the retiring thread looks every kRetirePeriod.
  if (!retiring_started_.exchange(true, std::memory_order_acq_rel)) {
    try {
      retiring_thread_ = std::thread([this] { retire_loop(); });
    } catch (const std::system_error& e) {
      spdlog::warn("cannot start a thread to retire finished task runs ({}): they stay in memory", e.what());
    }
  }
  return run;
}

// While a pass runs, [scan_write_, scan_read_) of runs_ is a gap of moved-from entries:
// the held runs are the two sorted ranges on either side of it.
std::vector<RunRef> RunScope::runs() const {
  std::lock_guard<SpinLock> lock(mutex_);
  if (!scanning_) return runs_;
  std::vector<RunRef> out;
  out.reserve(runs_.size() - (scan_read_ - scan_write_));
  out.insert(out.end(), runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(scan_write_));
  out.insert(out.end(), runs_.begin() + static_cast<std::ptrdiff_t>(scan_read_), runs_.end());
  return out;
}

std::size_t RunScope::size() const {
  std::lock_guard<SpinLock> lock(mutex_);
  return runs_.size() - (scanning_ ? scan_read_ - scan_write_ : 0);
}

Run* RunScope::find(std::uint64_t id) const {
  const auto in = [id](auto first, auto last) -> Run* {
    auto it =
        std::lower_bound(first, last, id, [](const RunRef& run, std::uint64_t value) { return run->id() < value; });
    return it != last && (*it)->id() == id ? it->get() : nullptr;
  };
  std::lock_guard<SpinLock> lock(mutex_);
  if (!scanning_) return in(runs_.begin(), runs_.end());
  if (Run* run = in(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(scan_write_))) return run;
  return in(runs_.begin() + static_cast<std::ptrdiff_t>(scan_read_), runs_.end());
}

void RunScope::run_finished(Run& run) {
  run.set_finished();
  // Once outstanding_ reads 0, wait_idle() may return and the host free this scope, so no
  // member may be touched after a decrement that could make it 0 (or after any decrement,
  // as another run may finish right behind it). Decrements that need a wake-up are made under
  // the lock the waiters look under: they cannot see the new count before the unlock, the
  // last access. All others are one compare-and-swap away from a value nobody waits for.
  const std::int64_t room_low = max_unfinished_ > 0 ? max_unfinished_ * 3 / 4 : -1;
  std::int64_t count = outstanding_.load(std::memory_order_acquire);
  while (count - 1 != 0 && count - 1 != room_low) {
    if (outstanding_.compare_exchange_weak(count, count - 1, std::memory_order_acq_rel)) return;
  }
  std::lock_guard<SpinLock> lock(mutex_);
  const std::int64_t left = outstanding_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  // Down to three quarters of the limit: wake submitters waiting for room.
  if (left == room_low) room_waiters_.wake_all();
  if (left == 0) idle_waiters_.wake_all();
}

void RunScope::wait_for_room(const Blocker& blocker) {
  if (!needs_room()) return;
  const std::int64_t low = max_unfinished_ * 3 / 4;
  const auto finished = [this] {
    std::lock_guard<SpinLock> lock(mutex_);
    return created_;
  };
  for (;;) {
    const std::uint64_t created_before = finished();
    const std::int64_t outstanding_before = outstanding();
    const std::int32_t status = wait_until(
        blocker, mutex_, room_waiters_,
        [this, low]() -> std::optional<std::int32_t> {
          if (outstanding() <= low) return RH_OK;
          return std::nullopt;
        },
        monotonic_ns() + 1'000'000'000);
    if (status != RH_TIMEOUT) break;
    // Runs finished meanwhile (outstanding fell, or fewer were created than it rose by):
    // still progress, wait on. Else nothing finishes while this waits: stop limiting.
    const std::int64_t finished_meanwhile =
        static_cast<std::int64_t>(finished() - created_before) - (outstanding() - outstanding_before);
    if (finished_meanwhile > 0) continue;
    if (!room_limit_off_.exchange(true, std::memory_order_relaxed)) {
      spdlog::warn(
          "{} task runs are unfinished and none finished for a second while a submission waited for "
          "room: submissions no longer wait (memory grows with the runs queued)",
          outstanding());
    }
    break;
  }
}

void RunScope::wait_idle(const Blocker& blocker) {
  wait_until(
      blocker, mutex_, idle_waiters_,
      [this]() -> std::optional<std::int32_t> {
        if (outstanding() == 0) return RH_OK;
        return std::nullopt;
      },
      RH_DEADLINE_NONE);
}

// ------------------------------------------------------------------ retirement

bool RunTally::all_completed() const noexcept {
  for (int id = 0; id < kStateCount; ++id) {
    if (by_state[static_cast<std::size_t>(id)] != 0 && !is_completed(static_cast<StateId>(id))) return false;
  }
  return true;
}

void RunScope::stop_retiring() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (retiring_thread_.joinable()) retiring_thread_.join();
}

void RunScope::retire_loop() {
  std::unique_lock<std::mutex> lock(wake_mutex_);
  while (!stopping_) {
    lock.unlock();
    retire_pass();
    lock.lock();
    wake_.wait_for(lock, kRetirePeriod);
  }
}

bool RunScope::pass_is_due() const {
  std::lock_guard<SpinLock> lock(mutex_);
  const std::size_t held = runs_.size();
  if (held < retained_runs_) return false;
  // Runs that finished since the last pass must be at least half of those held (and of the
  // bound): a pass reads every held run, so this keeps the passes' total cost linear in
  // the runs that finish, even while a flow holds the futures of most of them.
  const std::uint64_t finished = created_ - static_cast<std::uint64_t>(std::max<std::int64_t>(0, outstanding()));
  return finished - finished_at_pass_ >= std::max(held, retained_runs_) / 2;
}

void RunScope::retire_pass() {
  const std::lock_guard<std::mutex> hold(retire_mutex_);
  if (!pass_is_due()) return;
  std::vector<RunRef> retired;
  {
    std::lock_guard<SpinLock> lock(mutex_);
    finished_at_pass_ = created_ - static_cast<std::uint64_t>(std::max<std::int64_t>(0, outstanding()));
    scanning_ = true;
    scan_write_ = scan_read_ = 0;
  }
  // In chunks, each under the spin lock for a few thousand entries (each a cache miss or
  // two), so submitting threads never wait long behind a pass over millions of runs.
  constexpr std::size_t kChunk = 4096;
  for (bool more = true; more;) {
    std::lock_guard<SpinLock> lock(mutex_);
    const std::size_t end = std::min(runs_.size(), scan_read_ + kChunk);
    for (; scan_read_ < end; ++scan_read_) {
      RunRef& run = runs_[scan_read_];
      // The top-level run of a task scope stays: the host prints its outcome.
      if (run->released_by_all_but_one() && run->parent_id() != 0) {
        retired.push_back(std::move(run));
      } else {
        if (scan_write_ != scan_read_) runs_[scan_write_] = std::move(run);
        ++scan_write_;
      }
    }
    if (scan_read_ == runs_.size()) {
      runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(scan_write_), runs_.end());
      scanning_ = false;
      more = false;
    }
  }
  for (RunRef& run : retired) count_retired(*run);
  // The references go here, outside every lock: this frees the runs.
}

void RunScope::count_retired(const Run& run) {
  if (observer_) observer_(run);
  ++retired_tally_.runs;
  ++retired_tally_.by_state[static_cast<std::size_t>(run.state())];
  if (!run.started()) ++retired_tally_.never_started;
  if (!is_completed(run.state()) && kept_unsuccessful_.size() < kKeptUnsuccessful) {
    kept_unsuccessful_.emplace_back(const_cast<Run*>(&run));
  }
}

}  // namespace rh::host
