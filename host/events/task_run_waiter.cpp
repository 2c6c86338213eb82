#include "events/task_run_waiter.hpp"

#include "engine/blocking.hpp"
#include "engine/clock.hpp"
#include "engine/engine.hpp"
#include "engine/thread_events.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rh::host {
namespace {

std::mutex g_instance_mutex;
WaiterOptions g_instance_options;

// Function-local and created after the global bus, so it is destroyed before the bus.
std::shared_ptr<TaskRunWaiter>& instance_slot() {
  static EventBus& bus = EventBus::global();
  static std::shared_ptr<TaskRunWaiter> instance;
  (void)bus;
  return instance;
}

std::int64_t ttl_ns(double seconds) { return static_cast<std::int64_t>(seconds * 1e9); }

// A terminal run never changes again, so it can be read without its lock.
FinalState final_state_of(const Run& run) {
  FinalState state;
  state.run_id = run.id();
  state.flow_run_id = run.flow_run_id();
  state.task_name = run.task().name;
  state.run_name = run.name();
  state.state = run.state();
  state.message = std::string(run.message(run.current()));
  state.run_count = run.run_count();
  state.time_us = run.current().time_us;
  return state;
}

}  // namespace

TaskRunWaiter::TaskRunWaiter(EventBus& bus, WaiterOptions options)
    : bus_(bus), options_(options.max_entries == 0 ? WaiterOptions{10000, options.ttl_seconds} : options) {
  subscription_ = bus_.subscribe([this](const TaskRunEvent& event) { on_event(event); });
}

TaskRunWaiter::~TaskRunWaiter() { stop(); }

std::shared_ptr<TaskRunWaiter> TaskRunWaiter::instance() {
  std::lock_guard<std::mutex> lock(g_instance_mutex);
  std::shared_ptr<TaskRunWaiter>& slot = instance_slot();
  if (!slot || slot->stopped()) slot = std::make_shared<TaskRunWaiter>(EventBus::global(), g_instance_options);
  return slot;
}

void TaskRunWaiter::set_instance_options(WaiterOptions options) {
  std::lock_guard<std::mutex> lock(g_instance_mutex);
  g_instance_options = options;
}

void TaskRunWaiter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [id, blocked] : waiters_) {
      for (Blocked* b : blocked) b->scheduler->set(b->token);
    }
    waiters_.clear();
  }
  bus_.unsubscribe(subscription_);
}

bool TaskRunWaiter::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
}

void TaskRunWaiter::evict_locked(std::int64_t now_ns) {
  while (!order_.empty() && (order_.front().expires_ns <= now_ns || order_.size() > options_.max_entries)) {
    cache_.erase(order_.front().state.run_id);
    order_.pop_front();
  }
}

const FinalState* TaskRunWaiter::find_locked(std::uint64_t run_id, std::int64_t now_ns) {
  evict_locked(now_ns);
  auto it = cache_.find(run_id);
  if (it != cache_.end()) return &it->second->state;
  // A run that ended before this waiter started listening: ask the engine running it.
  Engine* engine = Engine::active();
  if (engine == nullptr) return nullptr;
  RunRef run = engine->find_run(run_id);
  if (!run || !run->done()) return nullptr;
  order_.push_back(Entry{final_state_of(*run), now_ns + ttl_ns(options_.ttl_seconds)});
  cache_[run_id] = std::prev(order_.end());
  evict_locked(now_ns);
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
    const std::int64_t now = monotonic_ns();
    if (auto old = cache_.find(state.run_id); old != cache_.end()) {
      order_.erase(old->second);
      cache_.erase(old);
    }
    order_.push_back(Entry{state, now + ttl_ns(options_.ttl_seconds)});
    cache_[state.run_id] = std::prev(order_.end());
    evict_locked(now);
    if (auto w = waiters_.find(state.run_id); w != waiters_.end()) {
      for (Blocked* b : w->second) {
        b->state = state;
        b->scheduler->set(b->token);
      }
      waiters_.erase(w);
    }
    if (auto c = callbacks_.find(state.run_id); c != callbacks_.end()) {
      callbacks = std::move(c->second);
      callbacks_.erase(c);
    }
  }
  for (Callback& fn : callbacks) {
    try {
      fn(state.run_id);
    } catch (const std::exception& e) {
      spdlog::error("TaskRunWaiter: done callback for run {} raised: {}", state.run_id, e.what());
    } catch (...) {
      spdlog::error("TaskRunWaiter: done callback for run {} raised a non-standard exception", state.run_id);
    }
  }
}

std::int32_t TaskRunWaiter::wait_for_task_run(std::uint64_t run_id, std::int64_t deadline, FinalState* out,
                                              std::string* error) {
  if (AttemptContext* ctx = current_attempt(); ctx != nullptr && ctx->run->id() == run_id) {
    if (error != nullptr) *error = "task run " + std::to_string(run_id) + " waits for itself; refusing to deadlock";
    return RH_ERROR;
  }
  Scheduler& scheduler = current_scheduler();
  for (;;) {
    Blocked blocked{&scheduler, nullptr, std::nullopt};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (const FinalState* found = find_locked(run_id, monotonic_ns())) {
        if (out != nullptr) *out = *found;
        return RH_OK;
      }
      if (stopped_) return RH_STOPPED;
      if (deadline != RH_DEADLINE_NONE && monotonic_ns() >= deadline) return RH_TIMEOUT;
      // Registered under the same lock on_event takes: a run ending between the cache check
      // above and the wait below still reaches this waiter.
      blocked.token = scheduler.make_token();
      waiters_[run_id].push_back(&blocked);
    }
    const std::int32_t status = block_on(scheduler, blocked.token, deadline);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto w = waiters_.find(run_id); w != waiters_.end()) {
        auto& list = w->second;
        list.erase(std::remove(list.begin(), list.end(), &blocked), list.end());
        if (list.empty()) waiters_.erase(w);
      }
      if (blocked.state) {
        scheduler.destroy(blocked.token);
        if (out != nullptr) *out = *blocked.state;
        return RH_OK;
      }
    }
    scheduler.destroy(blocked.token);
    if (status == RH_CANCELLED || status == RH_TIMED_OUT_ATTEMPT) return status;
    // Loop: deadline passed -> RH_TIMEOUT; stopped -> RH_STOPPED; otherwise wait again.
  }
}

void TaskRunWaiter::add_done_callback(std::uint64_t run_id, Callback fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (find_locked(run_id, monotonic_ns()) == nullptr) {
      callbacks_[run_id].push_back(std::move(fn));
      return;
    }
  }
  try {
    fn(run_id);
  } catch (const std::exception& e) {
    spdlog::error("TaskRunWaiter: done callback for run {} raised: {}", run_id, e.what());
  } catch (...) {
    spdlog::error("TaskRunWaiter: done callback for run {} raised a non-standard exception", run_id);
  }
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
