#include "events/event_bus.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace rh::host {

std::uint64_t EventBus::subscribe(Handler handler) {
  std::unique_lock lock(mutex_);
  const std::uint64_t id = next_subscriber_id_++;
  subscribers_.push_back(Subscriber{id, std::move(handler)});
  subscriber_count_.store(subscribers_.size(), std::memory_order_relaxed);
  return id;
}

void EventBus::unsubscribe(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  subscribers_.erase(
      std::remove_if(subscribers_.begin(), subscribers_.end(), [id](const Subscriber& s) { return s.id == id; }),
      subscribers_.end());
  subscriber_count_.store(subscribers_.size(), std::memory_order_relaxed);
}

void EventBus::publish(const TaskRunEvent& event) {
  if (!has_subscribers()) return;
  std::shared_lock lock(mutex_);
  for (const Subscriber& s : subscribers_) {
    try {
      s.handler(event);
    } catch (const std::exception& e) {
      spdlog::error("event subscriber {} failed on {} of run {}: {}", s.id, event.name(), event.run_id, e.what());
    } catch (...) {
      spdlog::error("event subscriber {} failed on {} of run {}", s.id, event.name(), event.run_id);
    }
  }
}

}  // namespace rh::host
