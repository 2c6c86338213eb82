// Runs handed back in the order they finish (rh_host_api.waitset_*): the primitive behind
// the SDK's wait(), as_completed() and gather().
#pragma once

#include "base/spin_lock.hpp"
#include "engine/run_ref.hpp"
#include "runtime/wait.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace rh::host {

class WaitSet {
 public:
  WaitSet();
  ~WaitSet();
  WaitSet(const WaitSet&) = delete;
  WaitSet& operator=(const WaitSet&) = delete;

  void add(Run& run);
  // RH_OK with the next finished run, RH_EMPTY when all were returned, RH_TIMEOUT, or
  // RH_CANCELLED / RH_TIMED_OUT_ATTEMPT for a stopping attempt.
  std::int32_t next(const Blocker& blocker, std::int64_t deadline, Run** out);

 private:
  // Shared with the done callbacks, which may outlive the set.
  struct Shared {
    SpinLock lock;
    std::deque<Run*> finished;
    WaitList waiters;
  };
  static void on_run_done(void* arg, Run* run);

  std::shared_ptr<Shared> shared_;
  std::vector<RunRef> runs_;
  std::size_t returned_ = 0;
};

}  // namespace rh::host
