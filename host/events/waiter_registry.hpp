// A session's TaskRunWaiters, all on its event bus: instance() is the same waiter until it
// is stopped, then a new one (Prefect's TaskRunWaiter.instance()); create() makes a private
// one with its own bounds. Destroying the registry stops every waiter it made, so a waiter
// that plugin code still holds afterwards answers RH_STOPPED and never touches the bus.
#pragma once

#include "events/task_run_waiter.hpp"

#include <memory>
#include <mutex>
#include <vector>

namespace rh::host {

class WaiterRegistry {
 public:
  WaiterRegistry(EventBus& bus, const Blocker& blocker, WaiterOptions instance_options = {},
                 HistoryLookup history = {});
  ~WaiterRegistry();
  WaiterRegistry(const WaiterRegistry&) = delete;
  WaiterRegistry& operator=(const WaiterRegistry&) = delete;

  std::shared_ptr<TaskRunWaiter> instance();
  std::shared_ptr<TaskRunWaiter> create(WaiterOptions options);
  // Options of the waiters instance() makes from now on (the current one keeps its own).
  void set_instance_options(WaiterOptions options);

 private:
  std::shared_ptr<TaskRunWaiter> make_locked(WaiterOptions options);

  EventBus& bus_;
  const Blocker& blocker_;
  HistoryLookup history_;
  std::mutex mutex_;
  WaiterOptions instance_options_;
  std::shared_ptr<TaskRunWaiter> instance_;
  std::vector<std::weak_ptr<TaskRunWaiter>> made_;  // to stop them; expired ones are swept
  std::size_t sweep_at_ = 64;
};

}  // namespace rh::host
