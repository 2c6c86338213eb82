// The oneTBB runner: work items run as tasks in a task_arena of max_workers threads.
// A task that waits (on a future, an event, a sleep) is suspended with oneTBB's resumable
// tasks, so its worker goes on with other work and the pool cannot deadlock on nested
// waits; the wake-up (an event set, or the host timer at the deadline) resumes it.
// Threads outside the arena (the host's main thread) block on a condition variable.
//
// Each suspended task holds a oneTBB coroutine stack, and oneTBB crashes when mapping one
// fails, so the runner bounds how many are suspended at once (docs/runners.md, "tbb"): past
// a budget, items that have not started yet are parked here and start as suspended tasks
// resume; a watchdog starts parked items when nothing makes progress.
#include "memory_mappings.hpp"
#include "sanitizer_fibers.hpp"

#include <runner_host/runner.hpp>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if !__TBB_RESUMABLE_TASKS
#error "the tbb runner needs oneTBB resumable tasks (tbb::task::suspend)"
#endif

namespace {

enum WaiterState : int { kWaiting = 0, kSet = 1, kTimedOut = 2 };

struct TbbEvent;

// A suspended task waiting on an event. Shared by the task, the event and the timer, so
// whichever of them finishes last frees it.
struct Waiter {
  tbb::task::suspend_point tag{};
  std::atomic<int> state{kWaiting};
  std::atomic<int> refs{1};
  std::uint64_t timer_id = 0;
  TbbEvent* event = nullptr;

  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

struct TbbEvent {
  rh::DeadlineEvent<> blocking;  // the flag, its lock, and threads outside the arena
  std::vector<Waiter*> waiters;  // suspended tasks, guarded by blocking's lock
};

class TbbRunner;

// The runner whose task this thread is executing right now, or nullptr. Asking oneTBB for
// the current arena is not enough: a thread attached to TBB's implicit arena also has a
// slot index, and must neither spawn into our group nor suspend. Reached through
// out-of-line functions because a suspended task may resume on another thread, and a
// compiler may keep a thread-local's address across the call that suspended it.
thread_local TbbRunner* tl_running = nullptr;
__attribute__((noinline)) TbbRunner* running_runner() { return tl_running; }
__attribute__((noinline)) void set_running_runner(TbbRunner* runner) { tl_running = runner; }

// ASan builds (docs/sanitizers.md): libtbb switches a worker between coroutine stacks, and a
// resumed task brings its stack to whichever thread resumes it; ASan still takes the thread's
// first stack for the current one, and an exception thrown then unpoisons (or trips on) the
// wrong memory. Wherever our code starts running after such a switch (a task's start, the
// suspend callback, a resumed task) it tells ASan the stack it is on, when that changed.
thread_local rh_san::StackBounds tl_asan_stack;
__attribute__((noinline)) void tell_asan_the_stack() {
  char here = 0;
  const char* sp = &here;
  const auto* low = static_cast<const char*>(tl_asan_stack.bottom);
  if (low != nullptr && sp >= low && sp < low + tl_asan_stack.size) return;
  const rh_san::StackBounds stack = rh_san::mapping_of(sp);
  if (stack.size == 0) return;
  rh_san::now_on_stack(stack);
  tl_asan_stack = stack;
}

// TSan builds (docs/sanitizers.md): a task runs as a TSan fiber of its own, because it may
// suspend on one thread and resume on another, inside libtbb, which TSan does not see; the
// thread's own TSan state runs oneTBB's dispatch loop, between tasks and while one is suspended.
thread_local void* tl_home_fiber = nullptr;
__attribute__((noinline)) void* home_fiber() {
  if (tl_home_fiber == nullptr) tl_home_fiber = rh_san::current_fiber();
  return tl_home_fiber;
}

// Resumes a suspended task. TSan builds add the edge libtbb's resume makes (invisibly to TSan)
// from what the resumer did before to what the task does after it resumes (event_wait).
void resume_waiter(Waiter* waiter) {
  const tbb::task::suspend_point tag = waiter->tag;  // the task may free the waiter once resumed
  if constexpr (rh_san::kTsan) rh_san::release(waiter);
  tbb::task::resume(tag);
}

void on_wait_timeout(void* arg) {
  auto* waiter = static_cast<Waiter*>(arg);
  int expected = kWaiting;
  if (waiter->state.compare_exchange_strong(expected, kTimedOut, std::memory_order_acq_rel)) {
    TbbEvent& event = *waiter->event;
    event.blocking.locked([&] {
      auto& list = event.waiters;
      list.erase(std::remove(list.begin(), list.end(), waiter), list.end());
    });
    resume_waiter(waiter);
  }
  waiter->release();  // the timer's reference
}

// One work item as oneTBB stores it in its task object. oneTBB's headers copy it in on the
// submitting thread and call it on a worker, and the memory is recycled for later tasks on any
// thread; libtbb, not instrumented, orders all of that, so under TSan the copy and the call
// read and write the item without instrumentation (the item's own hand-off has its edge from
// submit() and run_item()).
// `forced`: start even past the suspension budget (a parked item being started).
struct Item {
  TbbRunner* runner;
  rh_work_fn fn;
  void* arg;
  bool forced;

  Item(TbbRunner* r, rh_work_fn f, void* a, bool force) : runner(r), fn(f), arg(a), forced(force) {}
  __attribute__((no_sanitize_thread)) Item(const Item& other)
      : runner(other.runner), fn(other.fn), arg(other.arg), forced(other.forced) {}
  Item& operator=(const Item&) = delete;
  __attribute__((no_sanitize_thread)) void operator()() const;
};

class TbbRunner final : public rh::Runner {
  friend struct Item;

 public:
  explicit TbbRunner(rh::json options) {
    rh::RunnerOptions parsed(std::move(options));
    workers_ = parsed.positive_int("max_workers", rh::hardware_threads());
    parsed.reject_unknown();
    watchdog_.get()->runner = this;
  }

  ~TbbRunner() override {
    shutdown();
    // Every task has returned; the lock orders their give_fiber() before this for TSan, which
    // does not see the task group's wait inside libtbb.
    std::lock_guard<std::mutex> lock(fibers_mutex_);
    for (void* fiber : idle_fibers_) rh_san::destroy_fiber(fiber);
  }

  void start() override {
    if (started_.exchange(true)) throw std::logic_error("the tbb runner is already started");
    // TBB caps its worker pool at the hardware concurrency by default; ask for enough
    // threads for max_workers workers plus the host thread that joins at shutdown.
    control_ = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                     static_cast<std::size_t>(workers_) + 1);
    arena_ = std::make_unique<tbb::task_arena>(static_cast<int>(workers_) + 1, 1);
    arena_->initialize();
  }

  void submit(rh_work_fn fn, void* arg) override {
    if (!started_.load(std::memory_order_acquire)) throw std::logic_error("the tbb runner is not started");
    if (stopped_.load(std::memory_order_acquire)) throw std::logic_error("the tbb runner is shut down");
    start(fn, arg, /*forced=*/false);
  }

  void shutdown() override {
    if (!started_.load() || stopped_.exchange(true)) return;
    // Every item is in the group, whether a task spawned it or another thread enqueued it, and
    // a task suspended in event_wait is still running: one wait drains them all. Parked items
    // are not in the group yet: they start now (nothing parks once stopped_ is set).
    arena_->execute([this] {
      for (std::optional<Parked> item = take_parked(/*newest=*/false); item; item = take_parked(false)) {
        start(item->fn, item->arg, /*forced=*/true);
      }
      group_->wait();
    });
    watchdog_.get()->stop(*this);
    // The group's wait, inside libtbb, orders every item's end before this; TSan sees it here.
    if constexpr (rh_san::kTsan) rh_san::acquire(this);
    set_running_runner(nullptr);  // this thread may have run items inside group_->wait()
  }

  std::uint32_t concurrency() const override { return workers_; }

  rh_event* event_create() override { return reinterpret_cast<rh_event*>(new TbbEvent); }

  void event_set(rh_event* e) override {
    TbbEvent* event = as_event(e);
    std::vector<Waiter*> waiters;
    event->blocking.set_then([&] { waiters.swap(event->waiters); });
    for (Waiter* waiter : waiters) {
      int expected = kWaiting;
      if (!waiter->state.compare_exchange_strong(expected, kSet, std::memory_order_acq_rel)) continue;
      if (waiter->timer_id != 0 && cancel_timer(waiter->timer_id)) waiter->release();  // timer never runs
      resume_waiter(waiter);
    }
  }

  bool event_is_set(rh_event* e) override { return as_event(e)->blocking.is_set(); }

  bool event_wait(rh_event* e, rh_time_ns deadline, std::uint32_t /*flags*/) override {
    TbbEvent* event = as_event(e);
    if (running_runner() != this) return event->blocking.wait(deadline);
    if (event->blocking.is_set()) return true;
    if (suspended_.load(std::memory_order_relaxed) >= suspend_limit_) {
      // Out of room for coroutine stacks: this wait holds its worker thread. A wake-up that
      // needs a worker can still come from the other workers and the timer thread.
      warn_limit_once();
      return event->blocking.wait(deadline);
    }
    const SuspendedCount counted(*this);
    auto* waiter = new Waiter;
    waiter->event = event;
    // TSan: the task's fiber leaves with the task; this thread's own state runs what oneTBB
    // runs here meanwhile (the callback below first).
    void* task_fiber = rh_san::current_fiber();
    if constexpr (rh_san::kTsan) rh_san::switch_to(home_fiber());
    tbb::task::suspend([&](tbb::task::suspend_point tag) {
      if constexpr (rh_san::kAsan) tell_asan_the_stack();  // another coroutine's
      waiter->tag = tag;
      // The timer is armed under the event's lock too, so event_set (which takes the list
      // under that lock) always finds the timer id it has to cancel.
      const bool parked = event->blocking.if_unset([&] {
        event->waiters.push_back(waiter);
        if (deadline != RH_DEADLINE_NONE) {
          waiter->refs.fetch_add(1, std::memory_order_relaxed);  // the timer's reference
          waiter->timer_id = schedule_timer(deadline, &on_wait_timeout, waiter);
        }
      });
      if (!parked) {
        waiter->state.store(kSet);
        resume_waiter(waiter);
      }
    });
    // Resumed, perhaps on another worker thread, whose own TSan state ran its dispatch loop.
    if constexpr (rh_san::kTsan) {
      home_fiber();  // this thread's own state, learnt before it runs anything else
      rh_san::switch_to(task_fiber);
      rh_san::acquire(waiter);  // resume_waiter()'s release
    }
    if constexpr (rh_san::kAsan) tell_asan_the_stack();
    set_running_runner(this);
    const bool set = waiter->state.load(std::memory_order_acquire) == kSet;
    waiter->release();
    return set;  // counted's destructor may start a parked item: a stack is free again
  }

  void event_destroy(rh_event* e) override { delete as_event(e); }

  void yield() override { std::this_thread::yield(); }

  // Worker stacks are oneTBB's 4 MiB (also for resumed tasks' coroutines), and a nested
  // run takes a few KiB of it: 64 levels leave a wide margin, and fork-join code (fib, where
  // each call waits for its children) then joins by running a child that no other worker
  // took rather than by suspending, which would cost a coroutine and its stack each time.
  std::uint32_t inline_depth() const override { return 64; }

 private:
  static TbbEvent* as_event(rh_event* e) { return reinterpret_cast<TbbEvent*>(e); }

  // Starts an item as a oneTBB task: spawned into the worker's deque from one of our tasks
  // (cheap, stolen by idle workers, tracked by the task group, so no shared counter bounces
  // between cores on every run), else enqueued, which never blocks the caller (unlike
  // task_arena::execute). An enqueued task belongs to the group too (defer), so the group's
  // wait covers it: the last thing a finished item touches is the group's own count, which
  // oneTBB's wait is built to be woken by. (A counter of ours, decremented and then
  // notified, left a window in which shutdown saw zero, returned, and the runner was freed
  // while the worker still read it.)
  void start(rh_work_fn fn, void* arg, bool forced) {
    // oneTBB's queues order the submission before the run; TSan does not see them.
    if constexpr (rh_san::kTsan) rh_san::release(arg);
    if (running_runner() == this) {
      group_->run(Item{this, fn, arg, forced});
    } else {
      arena_->enqueue(group_->defer(Item{this, fn, arg, forced}));
    }
    if constexpr (rh_san::kTsan) rh_san::release(this);  // the submission before shutdown()
  }

  void run_item(rh_work_fn fn, void* arg, bool forced) {
    set_running_runner(this);
    if constexpr (rh_san::kAsan) tell_asan_the_stack();
    // start()'s release, first: what the submitter did (constructing this runner, too)
    // happens before anything here reads it, through libtbb's queues TSan does not see.
    if constexpr (rh_san::kTsan) rh_san::acquire(arg);
    // Over budget: the item waits in parked_, costing nothing, until a stack is free again.
    // One relaxed load of a line every core only reads, on the common path.
    if (!forced && suspended_.load(std::memory_order_relaxed) >= admit_budget_ &&
        !stopped_.load(std::memory_order_acquire)) {
      park(Parked{fn, arg});
    } else if constexpr (rh_san::kTsan) {
      home_fiber();  // this thread's own state, learnt before it runs anything else
      void* fiber = take_fiber();
      rh_san::switch_to(fiber);
      fn(arg);
      rh_san::switch_to(home_fiber());  // of the thread it ended on
      give_fiber(fiber);
      made_progress();
      rh_san::release(this);  // what the item did happens before shutdown() returns
    } else {
      fn(arg);
      made_progress();
    }
    set_running_runner(nullptr);
  }

  // TSan builds: the tasks' fibers, reused (making one per task would cost TSan a thread slot
  // and its bookkeeping for every run).
  void* take_fiber() {
    std::lock_guard<std::mutex> lock(fibers_mutex_);
    if (idle_fibers_.empty()) return rh_san::create_fiber();
    void* fiber = idle_fibers_.back();
    idle_fibers_.pop_back();
    return fiber;
  }

  void give_fiber(void* fiber) {
    std::lock_guard<std::mutex> lock(fibers_mutex_);
    idle_fibers_.push_back(fiber);
  }

  // An item that did not start because admit_budget_ tasks were suspended.
  struct Parked {
    rh_work_fn fn;
    void* arg;
  };

  void park(Parked item) {
    bool first;
    {
      std::lock_guard<std::mutex> lock(parked_mutex_);
      parked_.push_back(item);
      first = parked_count_.fetch_add(1, std::memory_order_relaxed) == 0;
    }
    if (first) watchdog_.get()->arm(*this);
  }

  std::optional<Parked> take_parked(bool newest) {
    if (parked_count_.load(std::memory_order_relaxed) == 0) return std::nullopt;
    std::lock_guard<std::mutex> lock(parked_mutex_);
    if (parked_.empty()) return std::nullopt;
    Parked item = newest ? parked_.back() : parked_.front();
    newest ? parked_.pop_back() : parked_.pop_front();
    parked_count_.fetch_sub(1, std::memory_order_relaxed);
    return item;
  }

  // An item finished or a suspended task resumed. While items are parked, that counts as
  // progress for the watchdog, and the newest parked item starts if the budget allows: one
  // at a time, so a burst of resumptions does not start every parked item before any of
  // them had the chance to suspend. Newest first, as a oneTBB worker runs its own spawned
  // tasks: depth first, so a task's child runs before more siblings start and suspend.
  void made_progress() {
    if (parked_count_.load(std::memory_order_relaxed) == 0) return;
    progress_.fetch_add(1, std::memory_order_relaxed);
    if (suspended_.load(std::memory_order_relaxed) >= admit_budget_) return;
    if (std::optional<Parked> item = take_parked(/*newest=*/true)) start(item->fn, item->arg, /*forced=*/true);
  }

  // While items are parked, a timer looks every 10 ms whether anything finished or resumed
  // since its last look. If nothing did, every started item may be suspended waiting for
  // one that is parked, and nothing would ever start it: it starts the newest parked items
  // (one per worker; the newest is most likely the run a suspended task waits for) whatever
  // the budget. A timer rather than a count of executing items, which every run would have
  // to update on a line shared by all cores. Shared with the timer callback, so shutdown
  // can stop it while a callback may be in flight.
  struct Watchdog {
    std::mutex mutex;
    TbbRunner* runner = nullptr;  // nullptr once the runner stopped
    std::uint64_t timer_id = 0;   // guarded by mutex; 0 when not armed
    std::uint64_t seen = 0;       // progress_ at the last look
    std::atomic<int> refs{1};

    void release() {
      if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    void arm(TbbRunner& r) {
      std::lock_guard<std::mutex> lock(mutex);
      if (runner == nullptr || timer_id != 0) return;
      seen = r.progress_.load(std::memory_order_relaxed);
      schedule_locked(r);
    }
    void schedule_locked(TbbRunner& r) {
      refs.fetch_add(1, std::memory_order_relaxed);  // the timer's reference
      timer_id = r.schedule_timer(r.now_ns() + 10'000'000, &Watchdog::fire, this);
    }
    static void fire(void* arg) {
      auto* self = static_cast<Watchdog*>(arg);
      {
        std::lock_guard<std::mutex> lock(self->mutex);
        self->timer_id = 0;
        if (TbbRunner* r = self->runner; r != nullptr && r->parked_count_.load(std::memory_order_relaxed) > 0) {
          const std::uint64_t now = r->progress_.load(std::memory_order_relaxed);
          if (now == self->seen) {
            for (std::uint32_t i = 0; i < r->workers_; ++i) {
              std::optional<Parked> item = r->take_parked(/*newest=*/true);
              if (!item) break;
              r->start(item->fn, item->arg, /*forced=*/true);
            }
          }
          self->seen = now;
          if (r->parked_count_.load(std::memory_order_relaxed) > 0) self->schedule_locked(*r);
        }
      }
      self->release();
    }
    // At shutdown: no callback touches the runner after this returns.
    void stop(TbbRunner& r) {
      std::lock_guard<std::mutex> lock(mutex);
      runner = nullptr;
      if (timer_id != 0 && r.cancel_timer(timer_id)) refs.fetch_sub(1, std::memory_order_relaxed);
      timer_id = 0;
    }
  };

  // Counts a task as suspended for its wait's duration.
  struct SuspendedCount {
    explicit SuspendedCount(TbbRunner& r) : runner(r) { runner.suspended_.fetch_add(1, std::memory_order_relaxed); }
    ~SuspendedCount() {
      runner.suspended_.fetch_sub(1, std::memory_order_relaxed);
      runner.made_progress();
    }
    TbbRunner& runner;
  };

  // Each suspended task keeps a coroutine stack of its own: an mmap and a guard page, two of
  // the process's vm.max_map_count mappings (65,530 by default), and oneTBB does not check
  // for a failed mmap. Items stop starting at a quarter of the limit suspended at once; a
  // wait suspends until half of what is left after 16,384 mappings for everything else
  // (libraries, fiber stacks, the heap) and then holds its worker instead.
  static std::int64_t admit_budget() { return std::max<std::int64_t>(1024, rh_runners::max_memory_mappings() / 4); }
  static std::int64_t suspend_limit() {
    return std::max<std::int64_t>(admit_budget() + 1024, (rh_runners::max_memory_mappings() - 16384) / 2);
  }

  void warn_limit_once() {
    if (limit_warned_.exchange(true, std::memory_order_relaxed)) return;
    log(RH_LOG_WARN, std::to_string(suspend_limit_) +
                         " tasks are suspended at once, as many as vm.max_map_count leaves room for: "
                         "further waits block their worker thread until some resume. The fiber runner "
                         "has no such limit.");
  }

  std::uint32_t workers_ = 1;
  std::unique_ptr<tbb::global_control> control_;
  std::unique_ptr<tbb::task_arena> arena_;
  // Behind a pointer: task_group's destructor may throw, which a runner's may not.
  std::unique_ptr<tbb::task_group> group_ = std::make_unique<tbb::task_group>();
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> suspended_{0};  // tasks suspended in event_wait right now
  const std::int64_t admit_budget_ = admit_budget();
  const std::int64_t suspend_limit_ = suspend_limit();
  std::atomic<bool> limit_warned_{false};
  std::mutex parked_mutex_;
  std::deque<Parked> parked_;
  std::atomic<std::int64_t> parked_count_{0};
  std::atomic<std::uint64_t> progress_{0};  // items finished and tasks resumed while some are parked
  // Our reference to the watchdog, shared with its timer callback. A member of its own, so
  // that a constructor that throws (an unknown option) still gives it back.
  struct WatchdogRef {
    Watchdog* watchdog = new Watchdog;
    WatchdogRef() = default;
    WatchdogRef(const WatchdogRef&) = delete;
    WatchdogRef& operator=(const WatchdogRef&) = delete;
    ~WatchdogRef() { watchdog->release(); }
    Watchdog* get() const noexcept { return watchdog; }
  };
  WatchdogRef watchdog_;
  std::mutex fibers_mutex_;         // TSan builds only: idle_fibers_
  std::vector<void*> idle_fibers_;  // TSan builds only
};

void Item::operator()() const {
  TbbRunner* const r = runner;
  const rh_work_fn f = fn;
  void* const a = arg;
  r->run_item(f, a, forced);
}

}  // namespace

RH_RUNNER_PLUGIN("tbb", "1.0.0", TbbRunner)
