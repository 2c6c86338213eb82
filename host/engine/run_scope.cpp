#include "engine/run_scope.hpp"

#include "engine/engine.hpp"

#include <algorithm>
#include <new>
#include <optional>

namespace rh::host {

RunScope::~RunScope() = default;

RunRef RunScope::create_run(const TaskDef& task, std::uint64_t parent_id, std::string name, std::string params,
                            bool is_flow_run) {
  // Ids are taken under the lock so that runs_ stays sorted; the allocation is not.
  void* memory = ::operator new(sizeof(Run));
  std::lock_guard<SpinLock> lock(mutex_);
  const std::uint64_t id = engine_.next_run_id();
  RunRef run(new (memory) Run(engine_, task, this, id, parent_id, std::move(name), std::move(params)));
  outstanding_.fetch_add(1, std::memory_order_relaxed);
  if (is_flow_run) {
    flow_run_ = run;
    flow_run_id_ = id;
  } else {
    runs_.push_back(run);
  }
  return run;
}

std::vector<RunRef> RunScope::runs() const {
  std::lock_guard<SpinLock> lock(mutex_);
  return runs_;
}

std::size_t RunScope::size() const {
  std::lock_guard<SpinLock> lock(mutex_);
  return runs_.size();
}

Run* RunScope::find(std::uint64_t id) const {
  std::lock_guard<SpinLock> lock(mutex_);
  auto it = std::lower_bound(runs_.begin(), runs_.end(), id,
                             [](const RunRef& run, std::uint64_t value) { return run->id() < value; });
  return it != runs_.end() && (*it)->id() == id ? it->get() : nullptr;
}

void RunScope::run_finished() {
  if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::lock_guard<SpinLock> lock(mutex_);
  idle_waiters_.wake_all();
}

void RunScope::wait_idle(const Blocker& blocker) {
  wait_until(
      blocker, mutex_, idle_waiters_,
      [this]() -> std::optional<std::int32_t> {
        if (outstanding() == 0) return RH_OK;
        return std::nullopt;
      },
      RH_DEADLINE_NONE);
}

}  // namespace rh::host
