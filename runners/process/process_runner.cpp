// The process runner: host threads run the work items, in the host; the attempts of task
// library tasks among them go to a worker process (a Lane) as descriptions
// (RH_EXT_REMOTE_ATTEMPTS, docs/worker-protocol.md), so a task that segfaults, aborts, exits
// or runs out of memory ends its run Crashed and costs a process, never the host. A thread
// borrows a process for one attempt (and the attempts nested in it), so code that waits in
// the host (a flow gathering its runs) holds a thread but no process. Host code that waits
// leaves queued work to the others and, when none is idle, starts one more thread for it;
// an attempt that waits (in its process) runs queued work nested on its process meanwhile,
// as the sequential runner does; when every process is held by an attempt that waits, the
// pool starts one more process. Waiting never deadlocks the pool below those caps. What it
// cannot do is suspend a wait (docs/runners.md).
#include "lane.hpp"

#include <runner_host/extensions.hpp>
#include <runner_host/runner.hpp>

#include <dlfcn.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rh::process_runner {
namespace {

// How deep a waiting thread nests queued work (and the engine runs waited-for runs in
// place) before it just blocks: a bound on the stacks of the thread and of its process.
constexpr int kMaxHelpDepth = 32;

// Host threads and processes beyond max_workers, started only for code that waits: a bound
// on what a burst of waits can cost (threads are cheap; a process costs its libraries).
std::uint32_t thread_cap(std::uint32_t workers) { return workers * 8 + 16; }
std::uint32_t process_cap(std::uint32_t workers) { return workers * 2 + 4; }

using Event = DeadlineEvent<>;

struct Work {
  rh_work_fn fn;
  void* arg;
};

class ProcessRunner;

// The lane this thread borrowed for the attempt it executes (nullptr between attempts), and
// its runner: attempts nested in that attempt reach the same lane here.
thread_local Lane* tl_lane = nullptr;
thread_local const ProcessRunner* tl_runner = nullptr;
thread_local int tl_help_depth = 0;

// The worker program ships beside this plugin.
std::string default_worker_program() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&default_worker_program), &info) == 0 || info.dli_fname == nullptr) {
    throw std::runtime_error("cannot tell where the process runner was loaded from");
  }
  std::string path = info.dli_fname;
  const std::size_t slash = path.rfind('/');
  return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/runner-host-worker";
}

class ProcessRunner final : public Runner {
 public:
  explicit ProcessRunner(json options) {
    RunnerOptions parsed(std::move(options));
    workers_ = parsed.positive_int("max_workers", hardware_threads());
    settings_.max_tasks_per_child = parsed.non_negative_int("max_tasks_per_child", 0);
    settings_.kill_grace_seconds = parsed.non_negative_number("kill_grace_seconds", 1.0);
    settings_.max_memory_mb = parsed.non_negative_int("max_memory_mb", 0);
    settings_.start_timeout_seconds = parsed.non_negative_number("start_timeout_seconds", 60.0);
    settings_.program = parsed.string("worker_program", "");
    parsed.reject_unknown();
    if (settings_.program.empty()) settings_.program = default_worker_program();
    const auto* info = host_extension<rh_host_info>(RH_EXT_HOST_INFO);
    if (info != nullptr) settings_.host_version = to_string(info->version);
  }

  ~ProcessRunner() override {
    // After a failed start (no shutdown): no process may outlive the runner.
    for (auto& lane : lanes_) lane->kill();
  }

  void set_libraries(std::vector<std::string> files) { settings_.libraries = std::move(files); }

  void start() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (started_) throw std::logic_error("the process runner is already started");
      started_ = true;
    }
    // All processes first, then wait for them together: starting the pool costs one
    // library load, not one per worker.
    for (std::uint32_t i = 0; i < workers_; ++i) {
      lanes_.push_back(std::make_unique<Lane>(i + 1, settings_, &ProcessRunner::lane_log, this));
    }
    try {
      for (auto& lane : lanes_) lane->spawn_worker();
      for (auto& lane : lanes_) lane->await_ready();
    } catch (...) {
      for (auto& lane : lanes_) lane->kill();
      throw;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& lane : lanes_) free_lanes_.push_back(lane.get());
    for (std::uint32_t i = 0; i < workers_; ++i) start_thread_locked();
  }

  void submit(rh_work_fn fn, void* arg) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) throw std::logic_error("the process runner is not started");
    if (stopping_) throw std::logic_error("the process runner is shut down");
    queue_.push_back(Work{fn, arg});
    // One idle thread takes it; with none idle, the waiting threads decide who starts one.
    // Notified under the lock: a submitter off the runner's threads (the timer's retry) may
    // otherwise still be in notify when the item has run and the runner is gone.
    notify_for_queued_locked();
  }

  void shutdown() override {
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
    for (auto& lane : lanes_) lane->stop();
  }

  std::uint32_t concurrency() const override { return workers_; }
  std::uint32_t inline_depth() const override { return kMaxHelpDepth; }

  rh_event* event_create() override { return reinterpret_cast<rh_event*>(new Event); }

  void event_set(rh_event* e) override {
    as_event(e)->set();
    // A thread helping while it waits checks the flag under mutex_ before it sleeps on
    // changed_: taking mutex_ here means it saw the flag or is about to be notified.
    { std::lock_guard<std::mutex> lock(mutex_); }
    changed_.notify_all();
  }

  bool event_is_set(rh_event* e) override { return as_event(e)->is_set(); }

  bool event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t flags) override {
    Event* event = as_event(e);
    const bool may_help = tl_runner == this && (flags & RH_WAIT_SLEEP) == 0 && tl_help_depth < kMaxHelpDepth;
    if (!may_help) return event->wait(deadline);
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    const bool holds_lane = tl_lane != nullptr;
    if (holds_lane) {
      ++waiting_holders_;
      lane_freed_.notify_all();  // a thread waiting for a process may now start one
    }
    for (;;) {
      if (event->is_set()) break;
      // Queued work no idle thread will take. Code in the host (a flow) leaves it to a new
      // thread and waits on: nested here, work would hold its wait up until it returned.
      // An attempt that holds a process runs it nested on that process, which waits anyway
      // (else each level of nested waits would take a process). At the thread cap, the last
      // resort: nested when every busy thread waits too.
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

  void event_destroy(rh_event* e) override { delete as_event(e); }
  void yield() override { std::this_thread::yield(); }

  std::int32_t execute(const rh_remote_attempt& attempt) {
    if (tl_runner != this) {
      detail::host().ctx_set_error(attempt.call->ctx, to_rh_str("rh::RunnerError"),
                                   to_rh_str("an attempt reached the process runner outside its worker threads"));
      return RH_TASK_WORKER_LOST;
    }
    // Nested in an attempt this thread executes (the engine runs a waited-for run in place):
    // on the same process, which nests it too.
    if (tl_lane != nullptr) return tl_lane->execute(attempt);
    Lane* lane = borrow_lane();
    tl_lane = lane;
    const std::int32_t code = lane->execute(attempt);
    tl_lane = nullptr;
    give_back(lane);
    return code;
  }

 private:
  static Event* as_event(rh_event* e) { return reinterpret_cast<Event*>(e); }
  static std::chrono::steady_clock::time_point time_point(rh_time_ns ns) {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
  }
  static void lane_log(void* self, std::uint32_t level, const std::string& message) {
    static_cast<ProcessRunner*>(self)->log(level, message);
  }

  // Queued work waits: an idle thread is woken for it, or, with none idle, the waiting
  // threads, which start one (event_wait). Under mutex_.
  void notify_for_queued_locked() {
    if (idle_threads_ > 0) {
      work_.notify_one();
    } else {
      changed_.notify_all();
    }
  }

  // A new host thread, idle until it takes an item. Under mutex_.
  void start_thread_locked() {
    ++idle_threads_;  // idle from now: a waiting thread must not take a starting one for busy
    threads_.emplace_back([this] { serve(); });
  }

  // A process for one attempt: a free one, else one more when every process is held by an
  // attempt that waits (for runs that may need a process themselves), else the next freed.
  Lane* borrow_lane() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (!free_lanes_.empty()) {
        Lane* lane = free_lanes_.back();
        free_lanes_.pop_back();
        return lane;
      }
      const std::size_t held = lanes_.size();  // none is free
      if (waiting_holders_ >= static_cast<int>(held) && held < process_cap(workers_)) {
        lanes_.push_back(
            std::make_unique<Lane>(static_cast<std::uint32_t>(held + 1), settings_, &ProcessRunner::lane_log, this));
        log(RH_LOG_INFO, "every worker process is held by an attempt that waits; starting worker " +
                             std::to_string(held + 1) + " for the runs they wait for");
        return lanes_.back().get();  // its process starts with its first attempt
      }
      lane_freed_.wait(lock);
    }
  }

  void give_back(Lane* lane) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_lanes_.push_back(lane);
    lane_freed_.notify_one();
  }

  void serve() {
    tl_runner = this;
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

  std::uint32_t workers_ = 1;
  LaneSettings settings_;
  std::mutex mutex_;                          // guards everything below
  std::vector<std::unique_ptr<Lane>> lanes_;  // the processes; more than workers_ only for waits
  std::vector<Lane*> free_lanes_;             // not borrowed by an attempt
  std::vector<std::thread> threads_;
  std::condition_variable work_;        // idle threads: work queued, shutting down
  std::condition_variable changed_;     // waiting threads: an event set, work no idle thread takes
  std::condition_variable idle_;        // the queue ran dry with no item executing
  std::condition_variable lane_freed_;  // a process given back, or a holder started waiting
  std::deque<Work> queue_;
  int busy_ = 0;
  int idle_threads_ = 0;     // threads not executing an item
  int waiting_ = 0;          // runner threads in event_wait that could run queued work
  int waiting_holders_ = 0;  // of those, threads whose attempt holds a process
  bool started_ = false;
  bool stopping_ = false;
  bool done_ = false;
};

ProcessRunner& runner_of(rh_runner* runner) { return *static_cast<ProcessRunner*>(detail::as_runner(runner)); }

const rh_remote_attempts kRemoteAttempts = {
    sizeof(rh_remote_attempts),
    /*set_libraries*/
    [](rh_runner* runner, const rh_str* paths, size_t count, rh_error_sink* err) -> int32_t {
      try {
        std::vector<std::string> files;
        for (size_t i = 0; i < count; ++i) files.push_back(to_string(paths[i]));
        runner_of(runner).set_libraries(std::move(files));
        return RH_OK;
      } catch (...) {
        detail::report_current_exception(err);
        return RH_ERROR;
      }
    },
    /*execute*/
    [](rh_runner* runner, const rh_remote_attempt* attempt) -> int32_t { return runner_of(runner).execute(*attempt); },
};

const void* get_extension(rh_str id) {
  return to_string_view(id) == RH_EXT_REMOTE_ATTEMPTS ? &kRemoteAttempts : nullptr;
}

}  // namespace
}  // namespace rh::process_runner

RH_RUNNER_PLUGIN_WITH_EXTENSIONS("process", "1.0.0", rh::process_runner::ProcessRunner,
                                 &rh::process_runner::get_extension)
