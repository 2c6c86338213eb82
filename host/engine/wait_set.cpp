#include "engine/wait_set.hpp"

#include "engine/engine.hpp"

#include <mutex>
#include <optional>

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
  shared.waiters.wake_all();
}

std::int32_t WaitSet::next(const Blocker& blocker, std::int64_t deadline, Run** out) {
  return wait_until(
      blocker, shared_->lock, shared_->waiters,
      [&]() -> std::optional<std::int32_t> {
        if (!shared_->finished.empty()) {
          *out = shared_->finished.front();
          shared_->finished.pop_front();
          ++returned_;
          return RH_OK;
        }
        if (returned_ == runs_.size()) return RH_EMPTY;
        return std::nullopt;
      },
      deadline);
}

}  // namespace rh::host
