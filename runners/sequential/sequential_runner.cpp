// The sequential runner: one thing at a time on the thread that started it (the "home"
// thread). A submission from the home thread runs at once, inline; work arriving from
// other threads (timers, completions elsewhere) is queued, and the home thread runs the
// queue whenever it waits, so waiting on a future never deadlocks. Inline nesting is
// capped so long dependency chains trampoline through the queue instead of the stack.
#include <runner_host/runner.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace {

constexpr int kMaxInlineDepth = 32;

thread_local int tl_inline_depth = 0;

// Set from any thread; waited on by other threads through its own condition variable, and
// by the home thread through the runner's (so that queued work wakes it too).
using Event = rh::DeadlineEvent<>;

struct Work {
  rh_work_fn fn;
  void* arg;
};

class SequentialRunner final : public rh::Runner {
 public:
  explicit SequentialRunner(rh::json options) {
    rh::RunnerOptions parsed(std::move(options));
    parsed.reject_unknown();
  }

  void start() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) throw std::logic_error("the sequential runner is already started");
    started_ = true;
    home_ = std::this_thread::get_id();
  }

  void submit(rh_work_fn fn, void* arg) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) throw std::logic_error("the sequential runner is not started");
      if (stopped_) throw std::logic_error("the sequential runner is shut down");
      if (std::this_thread::get_id() != home_ || tl_inline_depth >= kMaxInlineDepth) {
        queue_.push_back(Work{fn, arg});
        changed_.notify_all();
        return;
      }
    }
    run_inline(fn, arg);
    if (tl_inline_depth == 0) drain();
  }

  void shutdown() override {
    if (std::this_thread::get_id() == home_) drain();
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }

  std::uint32_t concurrency() const override { return 1; }

  rh_event* event_create() override { return reinterpret_cast<rh_event*>(new Event); }

  void event_set(rh_event* e) override {
    as_event(e)->set();
    // The home thread checks the flag under mutex_ before it waits on changed_, so taking
    // mutex_ here means it either saw the flag or is already waiting for this notify.
    std::lock_guard<std::mutex> lock(mutex_);
    changed_.notify_all();
  }

  bool event_is_set(rh_event* e) override { return as_event(e)->is_set(); }

  bool event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t flags) override {
    Event* event = as_event(e);
    const bool may_help = std::this_thread::get_id() == home_ && (flags & RH_WAIT_SLEEP) == 0;
    if (!may_help) return event->wait(deadline);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (event->is_set()) return true;
      if (!queue_.empty()) {
        // Waiting on the only thread: run queued work, which may be what we wait for.
        const Work work = queue_.front();
        queue_.pop_front();
        lock.unlock();
        run_inline(work.fn, work.arg);
        lock.lock();
        continue;
      }
      if (deadline == RH_DEADLINE_NONE) {
        changed_.wait(lock);
      } else if (changed_.wait_until(lock, time_point(deadline)) == std::cv_status::timeout) {
        return event->is_set();
      }
    }
  }

  void event_destroy(rh_event* e) override { delete as_event(e); }

  void yield() override {
    if (std::this_thread::get_id() != home_) {
      std::this_thread::yield();
      return;
    }
    // Let queued work make progress, as other runners would on a yield.
    std::unique_lock<std::mutex> lock(mutex_);
    if (queue_.empty()) return;
    const Work work = queue_.front();
    queue_.pop_front();
    lock.unlock();
    run_inline(work.fn, work.arg);
  }

 private:
  static Event* as_event(rh_event* e) { return reinterpret_cast<Event*>(e); }
  static std::chrono::steady_clock::time_point time_point(rh_time_ns ns) {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
  }

  static void run_inline(rh_work_fn fn, void* arg) {
    ++tl_inline_depth;
    fn(arg);
    --tl_inline_depth;
  }

  void drain() {
    for (;;) {
      Work work;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (queue_.empty()) return;
        work = queue_.front();
        queue_.pop_front();
      }
      run_inline(work.fn, work.arg);
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Work> queue_;
  std::thread::id home_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace

RH_RUNNER_PLUGIN("sequential", "1.0.0", SequentialRunner)
