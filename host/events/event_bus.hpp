// A session's publish/subscribe for run events. Publishing costs one relaxed load when
// nobody listens, so the engine can publish every transition unconditionally.
#pragma once

#include "events/task_run_event.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <vector>

namespace rh::host {

class EventBus {
 public:
  using Handler = std::function<void(const TaskRunEvent&)>;

  // Handlers run synchronously in the publishing thread (a runner worker or the timer
  // thread): they must be quick, must not block and must not (un)subscribe. A throwing
  // handler is logged.
  std::uint64_t subscribe(Handler handler);
  // After this returns the handler is not running and will not be called again.
  void unsubscribe(std::uint64_t id);

  bool has_subscribers() const noexcept { return subscriber_count_.load(std::memory_order_relaxed) != 0; }
  // Event ids: unique within this bus, increasing in publication order.
  std::uint64_t next_event_id() noexcept { return next_event_id_.fetch_add(1, std::memory_order_relaxed); }

  void publish(const TaskRunEvent& event);

 private:
  struct Subscriber {
    std::uint64_t id;
    Handler handler;
  };
  mutable std::shared_mutex mutex_;
  std::vector<Subscriber> subscribers_;
  std::atomic<std::size_t> subscriber_count_{0};
  std::uint64_t next_subscriber_id_ = 1;
  // Its own cache line: bumped on every event, while every transition reads subscriber_count_.
  alignas(64) std::atomic<std::uint64_t> next_event_id_{1};
};

}  // namespace rh::host
