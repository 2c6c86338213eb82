// Wake tokens of threads/fibers blocked on one thing, each with the scheduler that made it.
// Guarded by the owner's lock; set_all() is called under that lock so a waiter that gives up
// (and frees its token) can never race with the wake-up.
#pragma once

#include "engine/scheduler.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace rh::host {

class WaitList {
 public:
  void add(Scheduler& scheduler, rh_event* token) { waiters_.emplace_back(&scheduler, token); }
  void remove(rh_event* token) {
    waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(), [&](const auto& w) { return w.second == token; }),
                   waiters_.end());
  }
  void set_all() {
    for (auto& [scheduler, token] : waiters_) scheduler->set(token);
    waiters_.clear();
  }
  bool empty() const { return waiters_.empty(); }

 private:
  std::vector<std::pair<Scheduler*, rh_event*>> waiters_;
};

}  // namespace rh::host
