#include "engine/run.hpp"

#include "base/clock.hpp"
#include "engine/run_scope.hpp"
#include "engine/task_registry.hpp"

#include <algorithm>

namespace rh::host {

void retain(Run* run) noexcept { run->retain(); }
void release(Run* run) noexcept { run->release(); }

Run::Run(Engine& engine, const TaskDef& task, RunScope* scope, std::uint64_t id, std::uint64_t parent_id,
         std::uint64_t flow_run_id, std::string name, std::string params)
    : engine_(engine),
      task_(task),
      scope_(scope),
      id_(id),
      parent_id_(parent_id),
      flow_run_id_(flow_run_id),
      name_(std::move(name)),
      params_(std::move(params)) {}

void Run::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // A run holds references to its upstreams, so freeing the end of a long dependency chain
  // would free the whole chain recursively, one stack frame per hop: enough to overflow a
  // fiber stack at 10^5 hops and the main thread at 10^6. The outermost release on this
  // thread frees runs one after another instead. Destructors never suspend, so the list
  // stays on the thread that started it.
  thread_local bool freeing = false;
  thread_local std::vector<Run*> to_free;
  if (freeing) {
    to_free.push_back(this);
    return;
  }
  freeing = true;
  delete this;
  while (!to_free.empty()) {
    Run* next = to_free.back();
    to_free.pop_back();
    delete next;
  }
  if (to_free.capacity() > 4096) std::vector<Run*>().swap(to_free);  // bounded per thread
  freeing = false;
}

bool Run::is_flow() const noexcept { return task_.is_flow; }

const StateEntry& Run::record(StateId id, std::string message, std::int64_t scheduled_us) {
  std::int64_t now = wall_us();
  if (!history_.empty() && now <= history_.back().time_us) now = history_.back().time_us + 1;
  std::uint32_t detail = 0;
  if (!message.empty() || scheduled_us != 0) {
    details_.push_back(StateDetail{std::move(message), scheduled_us});
    detail = static_cast<std::uint32_t>(details_.size());
  }
  history_.push_back(StateEntry{now, detail, id});
  return history_.back();
}

std::int64_t Run::start_time_us() const noexcept {
  for (const StateEntry& e : history_) {
    if (is_running(e.id)) return e.time_us;
  }
  return 0;
}

std::int64_t Run::end_time_us() const noexcept { return is_terminal(history_.back().id) ? history_.back().time_us : 0; }

std::int64_t Run::total_run_time_us() const noexcept {
  std::int64_t total = 0;
  for (std::size_t i = 0; i + 1 < history_.size(); ++i) {
    if (is_running(history_[i].id)) total += history_[i + 1].time_us - history_[i].time_us;
  }
  return total;
}

bool Run::add_done_callback(DoneFn fn, void* arg) {
  if (done()) return false;
  callbacks_.emplace_back(fn, arg);
  return true;
}

std::vector<std::pair<DoneFn, void*>> Run::mark_done() {
  done_.store(true, std::memory_order_release);
  waiters_.wake_all();
  waiters_.release_memory();  // a done run is never waited on again
  return std::move(callbacks_);
}

}  // namespace rh::host
