#include "lane_pool.hpp"

#include <runner_host/abi_text.hpp>
#include <runner_host/detail/host.hpp>

#include <chrono>
#include <stdexcept>

namespace rh::remote {
namespace {

// How deep a waiting thread nests queued work (and the engine runs waited-for runs in
// place) before it just blocks: a bound on the stacks of the thread and of its worker.
constexpr int kMaxHelpDepth = 32;

// Host threads beyond the workers, started only for code that waits: a bound on what a
// burst of waits can cost.
std::size_t thread_cap(std::uint32_t workers) { return std::size_t{workers} * 8 + 16; }

using Event = DeadlineEvent<>;
Event* as_event(rh_event* e) { return reinterpret_cast<Event*>(e); }

std::chrono::steady_clock::time_point time_point(rh_time_ns ns) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

// The lane this thread borrowed for the attempt it executes (nullptr between attempts), and
// its pool: attempts nested in that attempt reach the same lane here.
thread_local Lane* tl_lane = nullptr;
thread_local const LanePool* tl_pool = nullptr;
thread_local int tl_help_depth = 0;

// Every runner plugin built on the pool is a LanePool (runner_table creates the CLASS).
LanePool& pool_of(rh_runner* runner) { return *static_cast<LanePool*>(detail::as_runner(runner)); }

}  // namespace

std::uint32_t LanePool::inline_depth() const { return kMaxHelpDepth; }

void LanePool::start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) throw std::logic_error("the runner is already started");
    started_ = true;
  }
  std::vector<Lane*> lanes = open_lanes();
  std::lock_guard<std::mutex> lock(mutex_);
  lanes_ = lanes.size();
  free_lanes_ = std::move(lanes);
  for (std::uint32_t i = 0; i < workers_; ++i) start_thread_locked();
}

void LanePool::submit(rh_work_fn fn, void* arg) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!started_) throw std::logic_error("the runner is not started");
  if (stopping_) throw std::logic_error("the runner is shut down");
  queue_.push_back(Work{fn, arg});
  // One idle thread takes it; with none idle, the waiting threads decide who starts one.
  // Notified under the lock: a submitter off the pool's threads (the timer's retry) may
  // otherwise still be in notify when the item has run and the runner is gone.
  notify_for_queued_locked();
}

void LanePool::shutdown() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    // Every item submitted before returns first, including those parked in waits.
    idle_.wait(lock, [this] { return queue_.empty() && busy_ == 0; });
    done_ = true;
  }
  work_.notify_all();
  changed_.notify_all();
  // No thread starts now: only a waiting thread starts one, and none waits any more.
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  close_lanes();
}

rh_event* LanePool::event_create() { return reinterpret_cast<rh_event*>(new Event); }
void LanePool::event_destroy(rh_event* e) { delete as_event(e); }
bool LanePool::event_is_set(rh_event* e) { return as_event(e)->is_set(); }

void LanePool::event_set(rh_event* e) {
  as_event(e)->set();
  // A thread helping while it waits checks the flag under mutex_ before it sleeps on
  // changed_: taking mutex_ here means it saw the flag or is about to be notified.
  { std::lock_guard<std::mutex> lock(mutex_); }
  changed_.notify_all();
}

bool LanePool::event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t flags) {
  Event* event = as_event(e);
  const bool may_help = tl_pool == this && (flags & RH_WAIT_SLEEP) == 0 && tl_help_depth < kMaxHelpDepth;
  if (!may_help) return event->wait(deadline);
  std::unique_lock<std::mutex> lock(mutex_);
  ++waiting_;
  const bool holds_lane = tl_lane != nullptr;
  if (holds_lane) {
    ++waiting_holders_;
    lane_freed_.notify_all();  // a thread waiting for a lane may now get an extra one
  }
  for (;;) {
    if (event->is_set()) break;
    // Queued work no idle thread will take. Code in the host (a flow) leaves it to a new
    // thread and waits on: nested here, work would hold its wait up until it returned.
    // An attempt that holds a lane runs it nested on that lane, which waits anyway (else
    // each level of nested waits would take a lane). At the thread cap, the last resort:
    // nested when every busy thread waits too.
    const bool unserved = !queue_.empty() && idle_threads_ == 0;
    if (unserved && !holds_lane && threads_.size() < thread_cap(workers_)) {
      start_thread_locked();
      continue;
    }
    if (unserved && (holds_lane || waiting_ >= busy_)) {
      const Work work = queue_.front();
      queue_.pop_front();
      --waiting_;
      lock.unlock();
      ++tl_help_depth;
      work.fn(work.arg);
      --tl_help_depth;
      lock.lock();
      ++waiting_;
      continue;
    }
    if (deadline == RH_DEADLINE_NONE) {
      changed_.wait(lock);
    } else if (changed_.wait_until(lock, time_point(deadline)) == std::cv_status::timeout) {
      break;
    }
  }
  --waiting_;
  if (holds_lane) --waiting_holders_;
  const bool set = event->is_set();
  const bool queued = !queue_.empty();
  lock.unlock();
  // One waiting thread fewer: another may now be the one that must take queued work.
  if (queued) changed_.notify_all();
  return set;
}

std::int32_t LanePool::execute(const rh_remote_attempt& attempt) {
  rh_context* ctx = attempt.call->ctx;
  if (tl_pool != this) {
    detail::host().ctx_set_error(ctx, to_rh_str("rh::RunnerError"),
                                 to_rh_str("an attempt reached the runner outside its worker threads"));
    return RH_TASK_WORKER_LOST;
  }
  // Nested in an attempt this thread executes (the engine runs a waited-for run in place):
  // on the same lane, whose worker nests it too. It is lost with the outer one.
  if (tl_lane != nullptr) {
    const std::int32_t code = tl_lane->execute(attempt, false);
    return code == kSendElsewhere ? RH_TASK_WORKER_LOST : code;
  }
  for (int sent = 0;; ++sent) {
    Lane* lane = borrow_lane();
    if (lane == nullptr) {
      detail::host().ctx_set_error(ctx, to_rh_str("rh::WorkerLost"), to_rh_str(no_lane_left()));
      return RH_TASK_WORKER_LOST;
    }
    tl_lane = lane;
    const std::int32_t code = lane->execute(attempt, sent < max_resends());
    tl_lane = nullptr;
    give_back(lane);
    if (code != kSendElsewhere) return code;
  }
}

const rh_remote_attempts& LanePool::remote_attempts() {
  static const rh_remote_attempts table = {
      sizeof(rh_remote_attempts),
      /*set_libraries*/
      [](rh_runner* runner, const rh_str* paths, size_t count, rh_error_sink* err) -> int32_t {
        try {
          std::vector<std::string> files;
          for (size_t i = 0; i < count; ++i) files.push_back(to_string(paths[i]));
          pool_of(runner).set_libraries(std::move(files));
          return RH_OK;
        } catch (...) {
          detail::report_current_exception(err);
          return RH_ERROR;
        }
      },
      /*execute*/
      [](rh_runner* runner, const rh_remote_attempt* attempt) -> int32_t { return pool_of(runner).execute(*attempt); },
  };
  return table;
}

void LanePool::notify_for_queued_locked() {
  if (idle_threads_ > 0) {
    work_.notify_one();
  } else {
    changed_.notify_all();
  }
}

void LanePool::start_thread_locked() {
  ++idle_threads_;  // idle from now: a waiting thread must not take a starting one for busy
  threads_.emplace_back([this] { serve(); });
}

Lane* LanePool::borrow_lane() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    while (!free_lanes_.empty()) {
      Lane* lane = free_lanes_.back();
      free_lanes_.pop_back();
      if (lane->usable()) return lane;
      --lanes_;  // retired: its worker is gone for good
      lane_freed_.notify_all();
    }
    if (lanes_ == 0) return nullptr;
    // None is free: one more when every lane is held by an attempt that waits (for runs
    // that may need a lane themselves), else the next one freed.
    if (waiting_holders_ >= static_cast<int>(lanes_)) {
      if (Lane* extra = extra_lane_locked(lanes_)) {
        ++lanes_;
        return extra;
      }
    }
    lane_freed_.wait(lock);
  }
}

void LanePool::give_back(Lane* lane) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_lanes_.push_back(lane);
  lane_freed_.notify_all();
}

void LanePool::serve() {
  tl_pool = this;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return done_ || !queue_.empty(); });
    if (queue_.empty()) return;  // done_
    const Work work = queue_.front();
    queue_.pop_front();
    --idle_threads_;
    ++busy_;
    // One idle thread fewer: what is left goes to another, or to the waiting threads' care.
    if (!queue_.empty()) notify_for_queued_locked();
    lock.unlock();
    work.fn(work.arg);
    lock.lock();
    --busy_;
    ++idle_threads_;
    if (queue_.empty() && busy_ == 0) idle_.notify_all();
  }
}

}  // namespace rh::remote
