// Where the fiber runner keeps work that has not started, and how idle workers wait for it.
//
// Queues: one deque per worker thread (a worker's own submissions stay local, newest first,
// so nested work runs depth-first) plus a shared inbox for submissions from other threads. A
// worker takes its own newest item, else the inbox's oldest, else another worker's oldest.
// Taking from the inbox or another worker moves a batch (half of that queue, at most
// kStealBatch) into the taker's own queue, oldest to run first: one steal then pays for many
// items' worth of cross-core cache traffic.
//
// Idle workers, as Go's scheduler and Tokio do it:
// - A worker that finds nothing first searches: it polls the queues a bounded number of times,
//   backing off and yielding to its thread's other fibers in between, because in a burst the
//   next item usually comes within microseconds while parking and waking a thread costs tens
//   of microseconds of futex calls. At most half the workers search at once.
// - Then it parks: its dispatcher fiber waits on a condition variable, and Boost.Fiber puts
//   the thread to sleep when it has no other ready fiber.
// - A push wakes a parked worker only when none is searching (a searcher will find the item),
//   and the waker makes the woken worker a searcher at once, so one burst of pushes wakes one
//   worker, not one per push. A searcher that finds work and was the last one wakes another
//   if items remain, so under enough work every worker joins, one at a time.
// - The waker notifies after releasing the mutex, so the woken worker does not block at once
//   on the mutex its waker still holds.
// No lost wake-up: a pusher stores its queue's new size, then (after a seq_cst fence) reads
// searching_ and parked_; a worker announces itself in searching_ or parked_, then (after a
// seq_cst fence) reads the queue sizes. So one of the two sees the other. A searcher that stops
// searching reads the sizes after it stopped counting: if it parks it sees the item, and if it
// found other work and was the last searcher it wakes a parked worker for the rest.
// There is no global item count: every push and pop would write the same cache line from
// every core, and idle workers polling it would slow the pushes down.
#pragma once

#include <runner_host/abi.h>

#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/operations.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace rh_fiber {

struct Work {
  rh_work_fn fn;
  void* arg;
};

inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Held for a few loads and stores only. After a few spins it yields the thread: on a machine
// with fewer cores than runnable threads the holder may be preempted, and spinning would only
// delay it.
class SpinLock {
 public:
  void lock() noexcept {
    int spins = 0;
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
          spin_pause();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// A double-ended queue of work items on a growable ring buffer, under a spin lock. Not
// std::deque: that allocates and frees a block every 32 items, and a thief freeing a block the
// owner allocated takes the owner's malloc arena lock, inside this queue's lock, while the
// owner allocates in that arena (the engine creates its runs there). The ring allocates only
// to grow (outside the lock) and to shrink back once empty.
class alignas(64) WorkDeque {
 public:
  WorkDeque() : ring_(new Work[kInitialCapacity]) {}

  // The size as last stored; exact under the lock, a hint without it.
  std::size_t size(std::memory_order order = std::memory_order_relaxed) const { return size_.load(order); }

  // Appends items[0, count) at the back (the newest end).
  void push_back(const Work* items, std::size_t count) {
    std::unique_ptr<Work[]> spare;  // a bigger ring made outside the lock, then the old one to free
    std::size_t spare_capacity = 0;
    for (;;) {
      std::size_t want = 0;
      {
        std::lock_guard<SpinLock> lock(lock_);
        if (count_ + count > capacity_ && spare_capacity >= count_ + count) {
          spare = adopt(std::move(spare), spare_capacity);
        }
        if (count_ + count <= capacity_) {
          for (std::size_t i = 0; i < count; ++i) at(count_ + i) = items[i];
          count_ += count;
          size_.store(count_, std::memory_order_relaxed);
          break;
        }
        for (want = capacity_ * 2; want < count_ + count;) want *= 2;
      }
      spare.reset(new Work[want]);
      spare_capacity = want;
    }
  }

  bool pop_back(Work& out) {
    if (size_.load(std::memory_order_relaxed) == 0) return false;
    std::lock_guard<SpinLock> lock(lock_);
    if (count_ == 0) return false;
    out = at(--count_);
    size_.store(count_, std::memory_order_relaxed);
    return true;
  }

  // Takes the oldest half (rounded up, at most `max`) into out[], oldest first; returns how many.
  std::size_t pop_front_half(Work* out, std::size_t max) {
    if (size_.load(std::memory_order_relaxed) == 0) return 0;
    std::lock_guard<SpinLock> lock(lock_);
    const std::size_t taken = std::min(max, (count_ + 1) / 2);
    for (std::size_t i = 0; i < taken; ++i) out[i] = at(i);
    head_ = (head_ + taken) & (capacity_ - 1);
    count_ -= taken;
    size_.store(count_, std::memory_order_relaxed);
    return taken;
  }

  // A burst of a million items leaves a 16 MiB ring behind; an idle worker gives it back.
  void shrink_if_empty() {
    if (size_.load(std::memory_order_relaxed) != 0 || capacity_ <= kShrinkAbove) return;
    std::unique_ptr<Work[]> small(new Work[kInitialCapacity]);
    std::lock_guard<SpinLock> lock(lock_);
    if (count_ == 0) small = adopt(std::move(small), kInitialCapacity);
  }  // the big ring is freed here, after the lock is released

 private:
  static constexpr std::size_t kInitialCapacity = 256;  // a power of two, as every capacity
  static constexpr std::size_t kShrinkAbove = 4096;

  Work& at(std::size_t i) { return ring_[(head_ + i) & (capacity_ - 1)]; }

  // Moves the items into `other` (of `other_capacity`); returns the old ring.
  std::unique_ptr<Work[]> adopt(std::unique_ptr<Work[]> other, std::size_t other_capacity) {
    for (std::size_t i = 0; i < count_; ++i) other[i] = at(i);
    std::swap(ring_, other);
    capacity_ = other_capacity;
    head_ = 0;
    return other;
  }

  SpinLock lock_;
  std::atomic<std::size_t> size_{0};
  std::unique_ptr<Work[]> ring_;
  std::size_t capacity_ = kInitialCapacity;  // guarded by lock_, as head_ and count_
  std::size_t head_ = 0;                     // the oldest item
  std::size_t count_ = 0;
};

class WorkQueues {
 public:
  explicit WorkQueues(std::size_t workers) : max_searching_(static_cast<int>(std::max<std::size_t>(1, workers / 2))) {
    for (std::size_t i = 0; i < workers; ++i) locals_.push_back(std::make_unique<WorkDeque>());
  }

  // From worker `self`'s own fibers.
  void push_local(std::size_t self, Work work) {
    locals_[self]->push_back(&work, 1);
    notify_pushed();
  }

  // From any other thread.
  void push_shared(Work work) {
    inbox_.push_back(&work, 1);
    notify_pushed();
  }

  // Next item for worker `self`: own newest, else the inbox's oldest, else another worker's
  // oldest (with a batch behind it moved to our queue). Never waits.
  bool try_pop(std::size_t self, Work& out) {
    if (locals_[self]->pop_back(out) || take_batch(self, inbox_, out)) return true;
    for (std::size_t i = 1; i < locals_.size(); ++i) {
      if (take_batch(self, *locals_[(self + i) % locals_.size()], out)) return true;
    }
    return false;
  }

  // Called by worker `self`'s dispatcher fiber: the next item, searching and then suspending
  // the fiber until there is one. Returns false once stop() was called and nothing is queued.
  bool wait_for_work(std::size_t self, Work& out) {
    if (try_pop(self, out)) return true;
    bool searching = begin_search();
    for (;;) {
      if (searching && search(self, out)) return true;
      switch (park(self, out)) {
        case Parked::kFound: return true;
        case Parked::kWoken: searching = true; break;  // the waker counted us as a searcher
        case Parked::kRetry: searching = begin_search(); break;
        case Parked::kStopped: return false;
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(idle_mutex_);
      stopping_.store(true);
    }
    idle_cv_.notify_all();
  }

  bool stopping() const { return stopping_.load(); }

 private:
  enum class Parked { kFound, kWoken, kRetry, kStopped };

  static constexpr std::size_t kStealBatch = 32;
  // Bounded search: with the backoff below, about 900 pauses (some 10-40 us on current x86,
  // more if other fibers of the thread run in between) before parking.
  static constexpr int kSearchRounds = 16;
  static constexpr int kFirstBackoff = 8;
  static constexpr int kMaxBackoffShift = 3;

  // Takes the oldest items of `victim` (the inbox or another worker's queue): the first into
  // `out`, the others into our own queue so they run next, oldest first.
  bool take_batch(std::size_t self, WorkDeque& victim, Work& out) {
    Work batch[kStealBatch];
    const std::size_t taken = victim.pop_front_half(batch, kStealBatch);
    if (taken == 0) return false;
    out = batch[0];
    if (taken > 1) {
      std::reverse(batch + 1, batch + taken);  // our own queue runs newest (back) first
      locals_[self]->push_back(batch + 1, taken - 1);
      // They were invisible for a moment, to a worker that may have parked meanwhile.
      notify_pushed();
    }
    return true;
  }

  bool any_queued() const {
    if (inbox_.size() != 0) return true;
    for (const auto& local : locals_) {
      if (local->size() != 0) return true;
    }
    return false;
  }

  void notify_pushed() {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the size stored above, before we read
    // parked_ first: it changes only when a worker parks or is woken, so in a busy burst it
    // stays in this core's cache while searching_ changes with every search.
    if (parked_.load(std::memory_order_relaxed) != 0 && searching_.load(std::memory_order_relaxed) == 0) wake_one();
  }

  bool begin_search() {
    int now = searching_.load(std::memory_order_relaxed);
    while (now < max_searching_) {
      if (searching_.compare_exchange_weak(now, now + 1, std::memory_order_seq_cst)) return true;
    }
    return false;
  }

  // Called counted as a searcher; returns no longer counted.
  bool search(std::size_t self, Work& out) {
    for (int round = 0;; ++round) {
      if (try_pop(self, out)) {
        end_search(true);
        return true;
      }
      if (round == kSearchRounds || stopping_.load(std::memory_order_relaxed)) {
        end_search(false);
        return false;
      }
      // Polling less often than every few hundred nanoseconds would only take the cache
      // line of a queue away from its owner while it pushes.
      for (int i = 0, n = kFirstBackoff << std::min(round, kMaxBackoffShift); i < n; ++i) spin_pause();
      // Lets this thread's ready fibers run (one whose sleep ended, one woken by another
      // thread), and Boost.Fiber's dispatcher move such fibers to the ready queue. Not as a
      // searcher: a fiber may keep the thread for long, and pushes meanwhile would skip waking
      // a parked worker because we look like one about to find their items.
      end_search(false);
      boost::this_fiber::yield();
      if (!begin_search()) return try_pop(self, out);  // enough others search; we park next
    }
  }

  void end_search(bool found) {
    const int before = searching_.fetch_sub(1, std::memory_order_seq_cst);
    if (!found || before != 1) return;
    // Pushes skipped waking anyone while we searched; if items remain, someone must come.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (any_queued()) wake_one();
  }

  Parked park(std::size_t self, Work& out) {
    locals_[self]->shrink_if_empty();
    inbox_.shrink_if_empty();
    std::unique_lock<std::mutex> lock(idle_mutex_);
    parked_.fetch_add(1, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // Checked after announcing: a push that did not see us parked is visible here.
    if (any_queued()) {
      parked_.fetch_sub(1, std::memory_order_seq_cst);  // under the lock: no waker counted us
      lock.unlock();
      return try_pop(self, out) ? Parked::kFound : Parked::kRetry;
    }
    if (!stopping_.load()) {
      // condition_variable_any suspends only this fiber, and releases the mutex meanwhile.
      idle_cv_.wait(lock, [this] { return wakes_ > 0 || stopping_.load(); });
      if (wakes_ > 0) {
        --wakes_;
        return Parked::kWoken;  // the waker took us out of parked_
      }
    }
    parked_.fetch_sub(1, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return any_queued() ? Parked::kRetry : Parked::kStopped;
  }

  void wake_one() {
    for (;;) {
      if (parked_.load(std::memory_order_seq_cst) == 0) return;
      int none = 0;
      // The one search slot of this burst; if someone holds it, they will find the item.
      if (!searching_.compare_exchange_strong(none, 1, std::memory_order_seq_cst)) return;
      bool woke = false;
      {
        std::lock_guard<std::mutex> lock(idle_mutex_);
        if (parked_.load(std::memory_order_relaxed) > 0) {
          parked_.fetch_sub(1, std::memory_order_seq_cst);
          ++wakes_;
          woke = true;
        }
      }
      if (woke) {
        idle_cv_.notify_one();
        return;
      }
      // The parked worker left on its own. Give the slot back as a searcher that found work
      // would: a worker that parked meanwhile may have missed an item pushed while we held it.
      if (searching_.fetch_sub(1, std::memory_order_seq_cst) != 1) return;
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (!any_queued()) return;
    }
  }

  const int max_searching_;
  std::vector<std::unique_ptr<WorkDeque>> locals_;
  WorkDeque inbox_;
  alignas(64) std::atomic<int> searching_{0};
  alignas(64) std::atomic<int> parked_{0};  // changed under idle_mutex_, read without it
  std::atomic<bool> stopping_{false};
  std::mutex idle_mutex_;  // never held across a suspension: condition_variable_any releases it
  boost::fibers::condition_variable_any idle_cv_;
  int wakes_ = 0;  // guarded by idle_mutex_: notifications not yet taken by a parked worker
};

}  // namespace rh_fiber
