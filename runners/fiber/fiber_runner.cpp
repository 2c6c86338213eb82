// The fiber runner: max_workers OS threads running Boost.Fiber. Work items wait in
// per-worker queues with stealing (work_queues.hpp); each worker's main fiber takes items
// and starts a fiber for each, so fibers (and their stacks) exist only for work that has
// started. Sleeping and waiting suspend the fiber, never the thread: 100,000 sleeping task
// runs are 100,000 parked fibers on small pooled stacks. A fiber stays on the thread that
// started it.
#include "pooled_stack.hpp"
#include "work_queues.hpp"

#include <runner_host/runner.hpp>

#include <boost/fiber/all.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

// Only waits may suspend a fiber (the host relies on it): state is guarded by a std::mutex,
// held for a few instructions and never across a suspension, and waiters park on a
// condition_variable_any, which releases that mutex before suspending.
struct FiberEvent {
  std::mutex mutex;
  boost::fibers::condition_variable_any cv;
  bool set = false;
};

using rh_fiber::Work;

class FiberRunner;
thread_local FiberRunner* tl_worker_of = nullptr;
thread_local std::size_t tl_worker_index = 0;

class FiberRunner final : public rh::Runner {
 public:
  explicit FiberRunner(rh::json options) {
    rh::RunnerOptions parsed(std::move(options));
    workers_ = parsed.positive_int("max_workers", rh::hardware_threads());
    stack_kib_ = parsed.positive_int("stack_size_kib", 64);
    parsed.reject_unknown();
    if (stack_kib_ < 16) throw rh::RunnerOptionError("option 'stack_size_kib' must be at least 16");
  }

  ~FiberRunner() override { shutdown(); }

  void start() override {
    if (started_.exchange(true)) throw std::logic_error("the fiber runner is already started");
    queues_ = std::make_unique<rh_fiber::WorkQueues>(workers_);
    for (std::uint32_t i = 0; i < workers_; ++i) {
      worker_state_.push_back(std::make_unique<WorkerState>(static_cast<std::size_t>(stack_kib_) * 1024));
    }
    for (std::uint32_t i = 0; i < workers_; ++i) threads_.emplace_back([this, i] { worker_main(i); });
  }

  void submit(rh_work_fn fn, void* arg) override {
    if (!started_.load(std::memory_order_acquire)) throw std::logic_error("the fiber runner is not started");
    if (stopped_.load(std::memory_order_acquire)) throw std::logic_error("the fiber runner is shut down");
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    if (tl_worker_of == this) {
      queues_->push_local(tl_worker_index, Work{fn, arg});
    } else {
      queues_->push_shared(Work{fn, arg});
    }
  }

  void shutdown() override {
    if (!started_.load() || stopped_.exchange(true)) return;
    {
      std::unique_lock<std::mutex> lock(idle_mutex_);
      shutting_down_.store(true);
      idle_cv_.wait(lock, [this] { return in_flight_.load() == 0; });
    }
    queues_->stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  std::uint32_t concurrency() const override { return workers_; }

  rh_event* event_create() override { return reinterpret_cast<rh_event*>(new FiberEvent); }

  void event_set(rh_event* e) override {
    FiberEvent* event = as_event(e);
    {
      std::lock_guard<std::mutex> lock(event->mutex);
      event->set = true;
    }
    event->cv.notify_all();
  }

  bool event_is_set(rh_event* e) override {
    FiberEvent* event = as_event(e);
    std::lock_guard<std::mutex> lock(event->mutex);
    return event->set;
  }

  // Works from any thread: on a worker it suspends the fiber; elsewhere it blocks the
  // thread's own main fiber, which Boost.Fiber parks on a condition variable.
  bool event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t) override {
    FiberEvent* event = as_event(e);
    std::unique_lock<std::mutex> lock(event->mutex);
    if (deadline == RH_DEADLINE_NONE) {
      event->cv.wait(lock, [&] { return event->set; });
      return true;
    }
    const auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
    return event->cv.wait_until(lock, until, [&] { return event->set; });
  }

  void event_destroy(rh_event* e) override { delete as_event(e); }

  void yield() override {
    if (tl_worker_of == this) {
      boost::this_fiber::yield();
    } else {
      std::this_thread::yield();
    }
  }

 private:
  static FiberEvent* as_event(rh_event* e) { return reinterpret_cast<FiberEvent*>(e); }

  // What one worker thread's fibers use. Owned by the runner, not the thread: Boost.Fiber
  // frees the last fibers' stacks in the thread's exit handlers, after worker_main returned,
  // so the pool must outlive the thread (it is destroyed after the join).
  struct WorkerState {
    explicit WorkerState(std::size_t stack_size) : pool(stack_size, /*max_cached=*/4096) {}
    rh_fiber::StackPool pool;
    std::atomic<std::int64_t> live{0};
    boost::fibers::mutex live_mutex;
    boost::fibers::condition_variable live_cv;
  };

  // Each worker: its main fiber dispatches queued work into new fibers until shutdown.
  void worker_main(std::size_t index) {
    tl_worker_of = this;
    tl_worker_index = index;
    WorkerState& state = *worker_state_[index];
    rh_fiber::StackPool& pool = state.pool;
    std::atomic<std::int64_t>& live = state.live;
    boost::fibers::mutex& live_mutex = state.live_mutex;
    boost::fibers::condition_variable& live_cv = state.live_cv;
    Work work;
    while (queues_->wait_for_work(index, work)) {
      live.fetch_add(1, std::memory_order_relaxed);
      // launch::dispatch: the new fiber runs at once; this dispatcher resumes when it
      // finishes or blocks, so fibers are created no faster than they start.
      boost::fibers::fiber(boost::fibers::launch::dispatch, std::allocator_arg, rh_fiber::PooledStack(pool),
                           [this, work, &live, &live_mutex, &live_cv] {
                             work.fn(work.arg);
                             finished_one();
                             if (live.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                               std::lock_guard<boost::fibers::mutex> lock(live_mutex);
                               live_cv.notify_all();
                             }
                           })
          .detach();
    }
    // Let every fiber of this thread finish before the thread ends.
    std::unique_lock<boost::fibers::mutex> lock(live_mutex);
    live_cv.wait(lock, [&] { return live.load() == 0; });
    tl_worker_of = nullptr;
  }

  void finished_one() {
    if (in_flight_.fetch_sub(1) == 1 && shutting_down_.load()) {
      std::lock_guard<std::mutex> lock(idle_mutex_);
      idle_cv_.notify_all();
    }
  }

  std::uint32_t workers_ = 1;
  std::uint32_t stack_kib_ = 64;
  std::vector<std::unique_ptr<WorkerState>> worker_state_;  // declared before threads_: outlives them
  std::vector<std::thread> threads_;
  std::unique_ptr<rh_fiber::WorkQueues> queues_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> shutting_down_{false};
  std::atomic<std::int64_t> in_flight_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_cv_;
};

}  // namespace

RH_RUNNER_PLUGIN("fiber", "1.0.0", FiberRunner)
