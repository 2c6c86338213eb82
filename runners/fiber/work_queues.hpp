// Where the fiber runner keeps work that has not started: one deque per worker thread
// (a worker's own submissions stay local, newest first, so nested work runs depth-first)
// plus a shared inbox for submissions from other threads. An idle worker takes from the
// inbox, then steals the oldest item of another worker. The shared condition variable is
// touched only when some worker is idle, so busy workers never contend on it.
#pragma once

#include <runner_host/abi.h>

#include <boost/fiber/condition_variable.hpp>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace rh_fiber {

struct Work {
  rh_work_fn fn;
  void* arg;
};

class WorkQueues {
 public:
  explicit WorkQueues(std::size_t workers) {
    for (std::size_t i = 0; i < workers; ++i) locals_.push_back(std::make_unique<Local>());
  }

  // From worker `self`'s own fibers.
  void push_local(std::size_t self, Work work) {
    {
      std::lock_guard<std::mutex> lock(locals_[self]->mutex);
      locals_[self]->items.push_back(work);
    }
    wake_one_if_idle();
  }

  // From any other thread.
  void push_shared(Work work) {
    {
      std::lock_guard<std::mutex> lock(inbox_mutex_);
      inbox_.push_back(work);
    }
    wake_one_if_idle();
  }

  // Next item for worker `self`: own newest, else the inbox's oldest, else another
  // worker's oldest. Never waits.
  bool try_pop(std::size_t self, Work& out) {
    if (pop_back(*locals_[self], out)) return true;
    {
      std::lock_guard<std::mutex> lock(inbox_mutex_);
      if (!inbox_.empty()) {
        out = inbox_.front();
        inbox_.pop_front();
        return true;
      }
    }
    for (std::size_t i = 1; i < locals_.size(); ++i) {
      if (pop_front(*locals_[(self + i) % locals_.size()], out)) return true;
    }
    return false;
  }

  // Suspends the calling fiber until work may be available or stop() was called. Returns
  // false once stopped and empty.
  bool wait_for_work(std::size_t self, Work& out) {
    for (;;) {
      if (try_pop(self, out)) return true;
      std::unique_lock<std::mutex> lock(idle_mutex_);
      idle_.fetch_add(1, std::memory_order_seq_cst);
      // Checked after announcing idleness: a push that misses the announcement was
      // already visible here.
      const bool found = try_pop(self, out);
      if (!found && !stopping_) idle_cv_.wait(lock);
      idle_.fetch_sub(1, std::memory_order_seq_cst);
      if (found) return true;
      if (stopping_ && !any_work()) return false;
    }
  }

  void stop() {
    std::lock_guard<std::mutex> lock(idle_mutex_);
    stopping_ = true;
    idle_cv_.notify_all();
  }

 private:
  struct Local {
    std::mutex mutex;
    std::deque<Work> items;
  };

  static bool pop_back(Local& local, Work& out) {
    std::lock_guard<std::mutex> lock(local.mutex);
    if (local.items.empty()) return false;
    out = local.items.back();
    local.items.pop_back();
    return true;
  }
  static bool pop_front(Local& local, Work& out) {
    std::lock_guard<std::mutex> lock(local.mutex);
    if (local.items.empty()) return false;
    out = local.items.front();
    local.items.pop_front();
    return true;
  }

  bool any_work() {
    {
      std::lock_guard<std::mutex> lock(inbox_mutex_);
      if (!inbox_.empty()) return true;
    }
    for (auto& local : locals_) {
      std::lock_guard<std::mutex> lock(local->mutex);
      if (!local->items.empty()) return true;
    }
    return false;
  }

  void wake_one_if_idle() {
    if (idle_.load(std::memory_order_seq_cst) == 0) return;
    std::lock_guard<std::mutex> lock(idle_mutex_);
    idle_cv_.notify_one();
  }

  std::vector<std::unique_ptr<Local>> locals_;
  std::mutex inbox_mutex_;
  std::deque<Work> inbox_;
  std::atomic<int> idle_{0};
  std::mutex idle_mutex_;  // never held across a suspension: condition_variable_any releases it
  boost::fibers::condition_variable_any idle_cv_;
  bool stopping_ = false;  // guarded by idle_mutex_
};

}  // namespace rh_fiber
