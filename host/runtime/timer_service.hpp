// A session's timers: one thread that runs short callbacks at monotonic deadlines (retry
// delays, attempt timeouts, runner wake-ups), started on the first schedule() and joined by
// the destructor. Callbacks must not block; they hand real work to a runner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace rh::host {

class TimerService {
 public:
  using Callback = void (*)(void* arg);

  TimerService() = default;
  ~TimerService();
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  // Runs fn(arg) on the timer thread at or after `deadline` (monotonic ns). Returns an id > 0.
  std::uint64_t schedule(std::int64_t deadline, Callback fn, void* arg);
  // Removes a timer; false when it already fired or is firing (or the id is unknown).
  bool cancel(std::uint64_t id);
  // Timers not yet fired.
  std::size_t pending() const;
  // How many times the timer thread woke up: lets a test see that it sleeps, rather than
  // spins, until a far deadline.
  std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    Callback fn;
    void* arg;
    std::uint64_t id;
  };
  using Queue = std::multimap<std::int64_t, Entry>;

  void loop();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Queue queue_;
  std::unordered_map<std::uint64_t, Queue::iterator> by_id_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::atomic<std::uint64_t> wakeups_{0};
  std::thread thread_;
};

}  // namespace rh::host
