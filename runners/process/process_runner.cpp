// The process runner: max_workers threads, each driving one worker process (a Lane). Work
// items run on the threads, in the host; the attempts of task library tasks among them go
// to the thread's process as descriptions (RH_EXT_REMOTE_ATTEMPTS, docs/worker-protocol.md),
// so a task that segfaults, aborts, exits or runs out of memory ends its run Crashed and
// costs a process, never the host. A thread that waits leaves queued work to the others;
// only when every thread waits does one run queued work meanwhile (nested on its stack, and
// so on its process's), as the sequential runner does: waiting never deadlocks the pool,
// and no extra process is needed for nested runs. What it cannot do is suspend: work it
// nests must end before its own wait can (docs/runners.md).
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

using Event = DeadlineEvent<>;

struct Work {
  rh_work_fn fn;
  void* arg;
};

class ProcessRunner;

// The lane of the thread running this code, and its runner: attempts reach their lane here.
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
    // Idle from the start, not from when each thread first waits: a waiting thread must not
    // take a thread that is still starting for a busy one.
    idle_threads_ = static_cast<int>(workers_);
    for (auto& lane : lanes_) threads_.emplace_back([this, l = lane.get()] { serve(*l); });
  }

  void submit(rh_work_fn fn, void* arg) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) throw std::logic_error("the process runner is not started");
    if (stopping_) throw std::logic_error("the process runner is shut down");
    queue_.push_back(Work{fn, arg});
    // Idle threads and waiting ones share one condition: each decides for itself. Notified
    // under the lock: a submitter off the runner's threads (the timer's retry) may otherwise
    // still be in notify_all when the item has run, shutdown() returned and the runner is gone.
    changed_.notify_all();
  }

  void shutdown() override {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stopping_ = true;
      // Every item submitted before returns first, including those parked in waits.
      idle_.wait(lock, [this] { return queue_.empty() && busy_ == 0; });
      done_ = true;
    }
    changed_.notify_all();
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
    for (;;) {
      if (event->is_set()) break;
      // Queued work is nested here only when nothing else would ever run it: no thread is
      // idle and every busy one waits too. Work nested under a wait holds the wait up until
      // it returns, so it is the last resort, not a way to keep busy.
      if (!queue_.empty() && idle_threads_ == 0 && waiting_ >= busy_) {
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
    const bool set = event->is_set();
    lock.unlock();
    // One waiting thread fewer: another may now be the one that must take queued work.
    changed_.notify_all();
    return set;
  }

  void event_destroy(rh_event* e) override { delete as_event(e); }
  void yield() override { std::this_thread::yield(); }

  std::int32_t execute(const rh_remote_attempt& attempt) const {
    if (tl_runner != this || tl_lane == nullptr) {
      detail::host().ctx_set_error(attempt.call->ctx, to_rh_str("rh::RunnerError"),
                                   to_rh_str("an attempt reached the process runner outside its worker threads"));
      return RH_TASK_WORKER_LOST;
    }
    return tl_lane->execute(attempt);
  }

 private:
  static Event* as_event(rh_event* e) { return reinterpret_cast<Event*>(e); }
  static std::chrono::steady_clock::time_point time_point(rh_time_ns ns) {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
  }
  static void lane_log(void* self, std::uint32_t level, const std::string& message) {
    static_cast<ProcessRunner*>(self)->log(level, message);
  }

  void serve(Lane& lane) {
    tl_lane = &lane;
    tl_runner = this;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;  // done_
      const Work work = queue_.front();
      queue_.pop_front();
      --idle_threads_;
      ++busy_;
      // One idle thread fewer: a waiting thread may now have to take what is left.
      const bool more = !queue_.empty();
      lock.unlock();
      if (more) changed_.notify_all();
      work.fn(work.arg);
      lock.lock();
      --busy_;
      ++idle_threads_;
      if (queue_.empty() && busy_ == 0) idle_.notify_all();
    }
  }

  std::uint32_t workers_ = 1;
  LaneSettings settings_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable changed_;  // work queued, an event set, shutting down
  std::condition_variable idle_;     // the queue ran dry with no item executing
  std::deque<Work> queue_;
  int busy_ = 0;
  int idle_threads_ = 0;  // threads not executing an item
  int waiting_ = 0;       // worker threads in event_wait that could run queued work
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
