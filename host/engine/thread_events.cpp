#include "engine/thread_events.hpp"

#include "engine/engine.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace rh::host {
namespace {

struct ThreadEvent {
  std::mutex mutex;
  std::condition_variable cv;
  bool set = false;
};

ThreadEvent* as_event(rh_event* e) { return reinterpret_cast<ThreadEvent*>(e); }

int32_t refuse_submit(rh_runner*, rh_work_fn, void*, rh_error_sink* err) {
  static constexpr char message[] = "no runner is active";
  if (err != nullptr) err->set(err, rh_str{nullptr, 0}, rh_str{message, sizeof message - 1});
  return RH_ERROR;
}

const rh_runner_api kThreadApi = {
    sizeof(rh_runner_api),
    /*create*/ [](rh_str, rh_error_sink*) -> rh_runner* { return nullptr; },
    /*start*/ [](rh_runner*, rh_error_sink*) -> int32_t { return RH_OK; },
    refuse_submit,
    /*shutdown*/ [](rh_runner*) {},
    /*destroy*/ [](rh_runner*) {},
    /*concurrency*/ [](rh_runner*) -> uint32_t { return 1; },
    /*event_create*/ [](rh_runner*) -> rh_event* { return reinterpret_cast<rh_event*>(new ThreadEvent); },
    /*event_set*/
    [](rh_runner*, rh_event* e) {
      ThreadEvent* event = as_event(e);
      std::lock_guard<std::mutex> lock(event->mutex);
      event->set = true;
      event->cv.notify_all();
    },
    /*event_is_set*/
    [](rh_runner*, rh_event* e) -> bool {
      ThreadEvent* event = as_event(e);
      std::lock_guard<std::mutex> lock(event->mutex);
      return event->set;
    },
    /*event_wait*/
    [](rh_runner*, rh_event* e, rh_time_ns deadline, uint32_t) -> int32_t {
      ThreadEvent* event = as_event(e);
      std::unique_lock<std::mutex> lock(event->mutex);
      if (deadline == RH_DEADLINE_NONE) {
        event->cv.wait(lock, [&] { return event->set; });
        return RH_OK;
      }
      const auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
      return event->cv.wait_until(lock, until, [&] { return event->set; }) ? RH_OK : RH_TIMEOUT;
    },
    /*event_destroy*/ [](rh_runner*, rh_event* e) { delete as_event(e); },
    /*yield*/ [](rh_runner*) { std::this_thread::yield(); },
    /*inline_depth*/ [](rh_runner*) -> uint32_t { return 0; },
};

}  // namespace

Scheduler& thread_scheduler() {
  static Scheduler scheduler(&kThreadApi, nullptr, "threads");
  return scheduler;
}

Scheduler& current_scheduler() {
  Engine* engine = Engine::active();
  return engine != nullptr ? engine->scheduler() : thread_scheduler();
}

}  // namespace rh::host
