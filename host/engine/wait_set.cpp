#include "engine/wait_set.hpp"

#include "engine/blocking.hpp"
#include "engine/engine.hpp"
#include "engine/thread_events.hpp"

#include <mutex>

namespace rh::host {

WaitSet::WaitSet() : shared_(std::make_shared<Shared>()) {}
WaitSet::~WaitSet() = default;

void WaitSet::add(Run& run) {
  runs_.emplace_back(&run);
  run.engine().on_done(run, &WaitSet::on_run_done, new std::shared_ptr<Shared>(shared_));
}

void WaitSet::on_run_done(void* arg, Run* run) {
  std::unique_ptr<std::shared_ptr<Shared>> holder(static_cast<std::shared_ptr<Shared>*>(arg));
  Shared& shared = **holder;
  std::lock_guard<SpinLock> lock(shared.lock);
  shared.finished.push_back(run);
  shared.waiters.set_all();
}

std::int32_t WaitSet::next(std::int64_t deadline, Run** out) {
  Scheduler& scheduler = current_scheduler();
  for (;;) {
    rh_event* token = nullptr;
    {
      std::lock_guard<SpinLock> lock(shared_->lock);
      if (!shared_->finished.empty()) {
        *out = shared_->finished.front();
        shared_->finished.pop_front();
        ++returned_;
        return RH_OK;
      }
      if (returned_ == runs_.size()) return RH_EMPTY;
      token = scheduler.make_token();
      shared_->waiters.add(scheduler, token);
    }
    const std::int32_t status = block_on(scheduler, token, deadline);
    {
      std::lock_guard<SpinLock> lock(shared_->lock);
      shared_->waiters.remove(token);
    }
    scheduler.destroy(token);
    if (status != RH_OK) {
      std::lock_guard<SpinLock> lock(shared_->lock);
      if (shared_->finished.empty()) return status;
    }
  }
}

}  // namespace rh::host
