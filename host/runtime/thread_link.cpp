#include "runtime/thread_link.hpp"

#include <runner_host/runner.hpp>

#include <thread>

namespace rh::host {
namespace {

using ThreadEvent = rh::DeadlineEvent<>;

ThreadEvent* as_event(rh_event* e) { return reinterpret_cast<ThreadEvent*>(e); }

int32_t refuse_submit(rh_runner*, rh_work_fn, void*, rh_error_sink* err) {
  static constexpr char message[] = "no runner is active on this thread";
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
    /*event_set*/ [](rh_runner*, rh_event* e) { as_event(e)->set(); },
    /*event_is_set*/ [](rh_runner*, rh_event* e) -> bool { return as_event(e)->is_set(); },
    /*event_wait*/
    [](rh_runner*, rh_event* e, rh_time_ns deadline, uint32_t) -> int32_t {
      return as_event(e)->wait(deadline) ? RH_OK : RH_TIMEOUT;
    },
    /*event_destroy*/ [](rh_runner*, rh_event* e) { delete as_event(e); },
    /*yield*/ [](rh_runner*) { std::this_thread::yield(); },
    /*inline_depth*/ nullptr,
    /*set_host*/ nullptr,
};

}  // namespace

const RunnerLink& thread_link() {
  static const RunnerLink link(&kThreadApi, nullptr, "threads");
  return link;
}

}  // namespace rh::host
