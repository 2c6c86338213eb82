// The fiber runner: max_workers OS threads running Boost.Fiber. Work items wait in
// per-worker queues with stealing (work_queues.hpp); each worker's main fiber takes items
// and starts a fiber for each, so fibers (and their stacks) exist only for work that has
// started. Sleeping and waiting suspend the fiber, never the thread: 100,000 sleeping task
// runs are 100,000 parked fibers on small pooled stacks (pooled_stack.hpp). A fiber stays on
// the thread that started it.
#include "annotated_scheduler.hpp"
#include "pooled_stack.hpp"
#include "work_queues.hpp"

#include <runner_host/runner.hpp>

#include <boost/fiber/all.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

// Only waits may suspend a fiber (the host relies on it): the event's std::mutex is held for
// a few instructions and never across a suspension, and waiters park on a fiber
// condition_variable_any, which releases that mutex before suspending.
using FiberEvent = rh::DeadlineEvent<boost::fibers::condition_variable_any>;

using rh_fiber::Work;

class FiberRunner;

// Which runner's worker this thread is, if any. One struct: in a dlopen'ed plugin every
// thread_local access is a __tls_get_addr call, and submit() needs both fields.
struct WorkerIdentity {
  FiberRunner* runner = nullptr;
  std::size_t index = 0;
};
thread_local WorkerIdentity tl_worker;

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
    stacks_ = std::make_unique<rh_fiber::StackPool>(static_cast<std::size_t>(stack_kib_) * 1024);
    tallies_ = std::make_unique<Tally[]>(workers_ + 1);
    for (std::uint32_t i = 0; i < workers_; ++i) worker_state_.push_back(std::make_unique<WorkerState>(*stacks_));
    for (std::uint32_t i = 0; i < workers_; ++i) threads_.emplace_back([this, i] { worker_main(i); });
    if constexpr (rh_fiber::kAnnotatedSwitches) {
      // Other threads wake a worker through its scheduler (libboost_fiber's notify()), ordered
      // after the scheduler's creation only by that library's uninstrumented atomics: waiting
      // here for every worker to have installed its own makes the order one TSan sees.
      std::unique_lock<std::mutex> lock(idle_mutex_);
      idle_cv_.wait(lock, [this] { return schedulers_installed_ == workers_; });
    }
  }

  void submit(rh_work_fn fn, void* arg) override {
    if (!started_.load(std::memory_order_acquire)) throw std::logic_error("the fiber runner is not started");
    if (stopped_.load(std::memory_order_acquire)) throw std::logic_error("the fiber runner is shut down");
    const WorkerIdentity& me = tl_worker;
    if (me.runner == this) {
      bump(tallies_[me.index].submitted);
      queues_->push_local(me.index, Work{fn, arg});
    } else {
      tallies_[workers_].submitted.fetch_add(1, std::memory_order_release);  // several threads may submit
      queues_->push_shared(Work{fn, arg});
    }
  }

  void shutdown() override {
    if (!started_.load() || stopped_.exchange(true)) return;
    {
      std::unique_lock<std::mutex> lock(idle_mutex_);
      shutting_down_.store(true);
      // A worker whose last fiber ends notifies once it sees shutting_down_; the timeout
      // covers one that ended just before it was set.
      while (in_flight() != 0) idle_cv_.wait_for(lock, std::chrono::milliseconds(1));
    }
    queues_->stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  std::uint32_t concurrency() const override { return workers_; }

  rh_event* event_create() override { return reinterpret_cast<rh_event*>(new FiberEvent); }

  void event_set(rh_event* e) override { as_event(e)->set(); }

  bool event_is_set(rh_event* e) override { return as_event(e)->is_set(); }

  // Works from any thread: on a worker it suspends the fiber; elsewhere it blocks the
  // thread's own main fiber, which Boost.Fiber parks on a condition variable.
  bool event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t) override { return as_event(e)->wait(deadline); }

  void event_destroy(rh_event* e) override { delete as_event(e); }

  void yield() override {
    if (tl_worker.runner == this) {
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
    explicit WorkerState(rh_fiber::StackPool& pool) : stacks(pool) {}
    rh_fiber::StackCache stacks;
    std::int64_t live = 0;  // this thread's fibers; only they and the dispatcher touch it
    bool draining = false;  // the dispatcher waits for live == 0 before the thread ends
    boost::fibers::mutex live_mutex;
    boost::fibers::condition_variable live_cv;
    rh_fiber::AnnotatedRoundRobin* annotations = nullptr;  // sanitized builds: this thread's
  };

  static void forget_stack(void* annotations, const rh_fiber::Stack& stack) {
    static_cast<rh_fiber::AnnotatedRoundRobin*>(annotations)->forget(stack);
  }

  // Each worker: its main fiber dispatches queued work into new fibers until shutdown. It
  // holds a stack before it takes an item, so an item it cannot start stays queued (and other
  // workers may steal it) instead of failing.
  void worker_main(std::size_t index) {
    tl_worker = WorkerIdentity{this, index};
    WorkerState& state = *worker_state_[index];
    Tally& tally = tallies_[index];
    rh_fiber::StackReleaseHook release_hook;
    if constexpr (rh_fiber::kAnnotatedSwitches) {
      boost::fibers::use_scheduling_algorithm<rh_fiber::AnnotatedRoundRobin>(state.stacks.stack_size(),
                                                                             &state.annotations);
      release_hook = rh_fiber::StackReleaseHook{&forget_stack, state.annotations};
      {
        std::lock_guard<std::mutex> lock(idle_mutex_);
        ++schedulers_installed_;
      }
      idle_cv_.notify_all();
    }
    rh_fiber::Stack stack;
    bool have_stack = false;
    Work work;
    for (;;) {
      if (!have_stack && !(have_stack = state.stacks.try_allocate(stack))) {
        // No memory or mappings for another stack: back off until a fiber (of this worker or
        // another) ends and gives one back. Shutdown comes only when nothing is queued.
        if (queues_->stopping()) break;
        boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (!queues_->wait_for_work(index, work)) break;
      ++state.live;
      // launch::dispatch: the new fiber runs at once; this dispatcher resumes when it
      // finishes or blocks, so fibers are created no faster than they start. Sanitized builds
      // post and yield instead, the same order through the scheduler, which annotates it.
      constexpr auto launch =
          rh_fiber::kAnnotatedSwitches ? boost::fibers::launch::post : boost::fibers::launch::dispatch;
      if constexpr (rh_fiber::kAnnotatedSwitches) state.annotations->expect_new_fiber(stack);
      boost::fibers::fiber(launch, std::allocator_arg, rh_fiber::ReservedStack(state.stacks, stack, release_hook),
                           [this, work, &state, &tally] {
                             work.fn(work.arg);
                             bump(tally.finished);
                             if (--state.live == 0) worker_went_idle(state);
                           })
          .detach();
      if constexpr (rh_fiber::kAnnotatedSwitches) boost::this_fiber::yield();
      have_stack = false;
    }
    if (have_stack) state.stacks.deallocate(stack);
    // Let every fiber of this thread finish before the thread ends.
    state.draining = true;
    std::unique_lock<boost::fibers::mutex> lock(state.live_mutex);
    state.live_cv.wait(lock, [&] { return state.live == 0; });
    tl_worker = WorkerIdentity{};
  }

  // The last fiber of a worker ended.
  void worker_went_idle(WorkerState& state) {
    if (shutting_down_.load(std::memory_order_relaxed)) {
      std::lock_guard<std::mutex> lock(idle_mutex_);
      idle_cv_.notify_all();
    }
    // When the whole runner is idle, a burst's stacks beyond a reserve give their memory back.
    if (stacks_->worth_releasing(kStacksKeptWhenIdle) && in_flight() == 0) {
      stacks_->release_idle(kStacksKeptWhenIdle);
    }
    if (state.draining) {
      std::lock_guard<boost::fibers::mutex> lock(state.live_mutex);
      state.live_cv.notify_all();
    }
  }

  // Submitted and finished work, counted per worker: each worker writes only its own cache
  // line, where one shared counter bounced between the submitting and the finishing core on
  // every run. The extra slot counts submissions from other threads.
  struct alignas(64) Tally {
    std::atomic<std::uint64_t> submitted{0};
    std::atomic<std::uint64_t> finished{0};
  };

  // For a counter only one thread writes: no locked instruction needed.
  static void bump(std::atomic<std::uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Work submitted and not finished. Finished counts are read first: the submission of every
  // run they include happened before, so it is in the submitted counts read after, and the
  // difference never undercounts.
  std::uint64_t in_flight() const {
    std::uint64_t finished = 0;
    std::uint64_t submitted = 0;
    for (std::uint32_t i = 0; i <= workers_; ++i) finished += tallies_[i].finished.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i <= workers_; ++i) submitted += tallies_[i].submitted.load(std::memory_order_acquire);
    return submitted - finished;
  }

  // About 64 MiB of address space at the default stack size, of which only the touched pages
  // (two or three per stack) stay resident.
  static constexpr std::size_t kStacksKeptWhenIdle = 1024;

  std::uint32_t workers_ = 1;
  std::uint32_t stack_kib_ = 64;
  std::unique_ptr<rh_fiber::StackPool> stacks_;             // declared before worker_state_: outlives the caches
  std::vector<std::unique_ptr<WorkerState>> worker_state_;  // declared before threads_: outlives them
  std::vector<std::thread> threads_;
  std::unique_ptr<rh_fiber::WorkQueues> queues_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<Tally[]> tallies_;  // workers_ + 1
  std::mutex idle_mutex_;
  std::condition_variable idle_cv_;
  std::uint32_t schedulers_installed_ = 0;  // sanitized builds: workers whose scheduler is in place
};

}  // namespace

RH_RUNNER_PLUGIN("fiber", "1.0.0", FiberRunner)
