#include "events/waiter_registry.hpp"

#include <algorithm>

namespace rh::host {

WaiterRegistry::WaiterRegistry(EventBus& bus, const Blocker& blocker, WaiterOptions instance_options,
                               HistoryLookup history)
    : bus_(bus), blocker_(blocker), history_(std::move(history)), instance_options_(instance_options) {}

WaiterRegistry::~WaiterRegistry() {
  std::vector<std::weak_ptr<TaskRunWaiter>> made;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    made.swap(made_);
    instance_.reset();
  }
  for (const auto& weak : made) {
    if (std::shared_ptr<TaskRunWaiter> waiter = weak.lock()) waiter->stop();
  }
}

std::shared_ptr<TaskRunWaiter> WaiterRegistry::instance() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!instance_ || instance_->stopped()) instance_ = make_locked(instance_options_);
  return instance_;
}

std::shared_ptr<TaskRunWaiter> WaiterRegistry::create(WaiterOptions options) {
  std::lock_guard<std::mutex> lock(mutex_);
  return make_locked(options);
}

void WaiterRegistry::set_instance_options(WaiterOptions options) {
  std::lock_guard<std::mutex> lock(mutex_);
  instance_options_ = options;
}

std::shared_ptr<TaskRunWaiter> WaiterRegistry::make_locked(WaiterOptions options) {
  auto waiter = std::make_shared<TaskRunWaiter>(bus_, options, blocker_, history_);
  if (made_.size() >= sweep_at_) {
    // Task code may make a private waiter per run: forget the ones already gone, so this
    // list stays as long as the live waiters (amortised: the bound doubles past them).
    made_.erase(std::remove_if(made_.begin(), made_.end(), [](const auto& w) { return w.expired(); }), made_.end());
    sweep_at_ = std::max<std::size_t>(64, made_.size() * 2);
  }
  made_.push_back(waiter);
  return waiter;
}

}  // namespace rh::host
