#include "events/task_run_waiter.hpp"

#include "base/clock.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rh::host {
namespace {

std::int64_t ttl_ns(double seconds) { return static_cast<std::int64_t>(seconds * 1e9); }

void call_logged(const TaskRunWaiter::Callback& fn, std::uint64_t run_id) {
  try {
    fn(run_id);
  } catch (const std::exception& e) {
    spdlog::error("TaskRunWaiter: done callback for run {} raised: {}", run_id, e.what());
  } catch (...) {
    spdlog::error("TaskRunWaiter: done callback for run {} raised a non-standard exception", run_id);
  }
}

}  // namespace

TaskRunWaiter::TaskRunWaiter(EventBus& bus, WaiterOptions options, const Blocker& blocker, HistoryLookup history)
    : bus_(bus),
      options_(options.max_entries == 0 ? WaiterOptions{10000, options.ttl_seconds} : options),
      blocker_(blocker),
      history_(std::move(history)) {
  subscription_ = bus_.subscribe([this](const TaskRunEvent& event) { on_event(event); });
}

TaskRunWaiter::~TaskRunWaiter() { stop(); }

void TaskRunWaiter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [id, list] : waiters_) list.wake_all();
    waiters_.clear();
    callbacks_.clear();
  }
  bus_.unsubscribe(subscription_);
}

bool TaskRunWaiter::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
}

void TaskRunWaiter::acquire_handle() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (handles_++ == 0) self_ = shared_from_this();
}

void TaskRunWaiter::release_handle() {
  std::shared_ptr<TaskRunWaiter> last;  // may destroy this waiter: outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  if (handles_ > 0 && --handles_ == 0) last = std::move(self_);
}

void TaskRunWaiter::evict_locked(std::int64_t now_ns) {
  while (!order_.empty() && (order_.front().expires_ns <= now_ns || order_.size() > options_.max_entries)) {
    cache_.erase(order_.front().state.run_id);
    order_.pop_front();
  }
}

void TaskRunWaiter::remember_locked(FinalState state, std::int64_t now_ns) {
  if (auto old = cache_.find(state.run_id); old != cache_.end()) {
    order_.erase(old->second);
    cache_.erase(old);
  }
  const std::uint64_t id = state.run_id;
  order_.push_back(Entry{std::move(state), now_ns + ttl_ns(options_.ttl_seconds)});
  cache_[id] = std::prev(order_.end());
  evict_locked(now_ns);
}

const FinalState* TaskRunWaiter::find_locked(std::uint64_t run_id, std::int64_t now_ns) {
  evict_locked(now_ns);
  auto it = cache_.find(run_id);
  if (it != cache_.end()) return &it->second->state;
  // A run that ended before this waiter started listening. A stopped waiter asks nobody:
  // its session may be gone.
  if (stopped_ || !history_) return nullptr;
  std::optional<FinalState> found = history_(run_id);
  if (!found) return nullptr;
  remember_locked(std::move(*found), now_ns);
  auto stored = cache_.find(run_id);
  return stored == cache_.end() ? nullptr : &stored->second->state;
}

void TaskRunWaiter::on_event(const TaskRunEvent& event) {
  if (!is_terminal(event.state) || event.is_flow_run) return;
  FinalState state;
  state.run_id = event.run_id;
  state.flow_run_id = event.flow_run_id;
  state.task_name.assign(event.task_name);
  state.run_name.assign(event.run_name);
  state.state = event.state;
  state.message.assign(event.message);
  state.run_count = event.run_count;
  state.time_us = event.time_us;

  std::vector<Callback> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    if (auto w = waiters_.find(state.run_id); w != waiters_.end()) {
      w->second.wake_all([&](Waiter& waiter) { static_cast<Blocked&>(waiter).state = state; });
      waiters_.erase(w);
    }
    if (auto c = callbacks_.find(state.run_id); c != callbacks_.end()) {
      callbacks = std::move(c->second);
      callbacks_.erase(c);
    }
    remember_locked(state, monotonic_ns());
  }
  for (const Callback& fn : callbacks) call_logged(fn, state.run_id);
}

std::int32_t TaskRunWaiter::wait_for_task_run(std::uint64_t run_id, std::int64_t deadline, FinalState* out,
                                              std::string* error) {
  if (const std::uint64_t caller = blocker_.calling_run(); caller != 0 && caller == run_id) {
    if (error != nullptr) *error = "task run " + std::to_string(run_id) + " waits for itself; refusing to deadlock";
    return RH_ERROR;
  }
  Blocked blocked{};
  const auto ready = [&]() -> std::optional<std::int32_t> {
    if (blocked.state) {
      if (out != nullptr) *out = *blocked.state;
      return RH_OK;
    }
    if (const FinalState* found = find_locked(run_id, monotonic_ns())) {
      if (out != nullptr) *out = *found;
      return RH_OK;
    }
    if (stopped_) return RH_STOPPED;
    return std::nullopt;
  };
  // Registered under the lock on_event takes: a run ending between the cache check and the
  // block still reaches this wait, with its state. The list holds `blocked`, a Waiter with
  // room for that state, carrying the token of the current round.
  const auto enlist = [&](Waiter& waiter) {
    static_cast<Waiter&>(blocked) = waiter;
    waiters_[run_id].add(blocked);
  };
  const auto delist = [&](const Waiter&) {
    if (auto w = waiters_.find(run_id); w != waiters_.end()) {
      w->second.remove(blocked);
      if (w->second.empty()) waiters_.erase(w);
    }
  };
  return wait_until(blocker_, mutex_, ready, enlist, delist, deadline);
}

void TaskRunWaiter::add_done_callback(std::uint64_t run_id, Callback fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (find_locked(run_id, monotonic_ns()) == nullptr) {
      if (!stopped_) callbacks_[run_id].push_back(std::move(fn));
      return;
    }
  }
  call_logged(fn, run_id);
}

std::optional<FinalState> TaskRunWaiter::lookup(std::uint64_t run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const FinalState* found = find_locked(run_id, monotonic_ns());
  return found == nullptr ? std::nullopt : std::optional<FinalState>(*found);
}

std::size_t TaskRunWaiter::cached() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_.size();
}

}  // namespace rh::host
