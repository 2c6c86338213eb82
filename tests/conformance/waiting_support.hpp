// Helpers for the waiting suites (TaskRunWaiter, wait/as_completed/gather, events):
//  - a "parked" task: unfinished for as long as the test needs on every runner, the
//    sequential one included, without holding a worker (it waits an hour for its retry);
//  - running a flow on a host thread and interrupting the engine once the flow has made its
//    observations, which cancels the parked runs so the flow's scope can end.
// Every bound here is a hang guard, never a timing expectation.
#pragma once

#include "runner_params.hpp"

#include "engine/engine.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rh::testing {

inline constexpr auto kHangGuard = std::chrono::seconds(60);

// True when a wait with a kHangGuard timeout came back only at that guard. A waiter looks
// at its cache once more at the deadline, so a lost wake-up would still return the state,
// a minute late; tests check this instead of trusting the returned state alone.
inline bool reached_hang_guard(std::chrono::steady_clock::time_point start) {
  return std::chrono::steady_clock::now() - start >= kHangGuard;
}

// Set once by the flow when it is done observing; the test thread waits for it.
class FlowSignal {
 public:
  void set() {
    std::lock_guard<std::mutex> lock(mutex_);
    set_ = true;
    changed_.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kHangGuard, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

// First attempt fails, the retry is due in an hour: the run stays AwaitingRetry.
inline void add_parked_task(rh::Library& library, const std::string& name = "parked") {
  library
      .task(name,
            [](rh::TaskContext& ctx) -> nlohmann::json {
              if (ctx.run_count() == 1) throw std::runtime_error("parked until the host is interrupted");
              return "retried";
            })
      .retries(1)
      .retry_delay(3600);
}

// True once the run waits on its retry timer (then an interrupt cancels it at once).
inline bool parked(host::Engine& engine, std::uint64_t run_id) {
  host::RunRef run = engine.find_run(run_id);
  if (!run) return false;
  std::lock_guard<host::SpinLock> lock(run->lock());
  return run->state() == host::StateId::AwaitingRetry && run->attempt().timer_id != 0;
}

// Runs `flow` on a host thread (the sequential runner's home thread). Once the flow sets
// `observed`, waits until each run in `parked_ids` is parked, interrupts the engine and
// returns the scope. The flow must fill parked_ids before it sets `observed`.
inline std::unique_ptr<host::RunScope> run_flow_then_interrupt(EngineHarness& h, const std::string& flow,
                                                               FlowSignal& observed,
                                                               const std::vector<std::uint64_t>& parked_ids) {
  std::unique_ptr<host::RunScope> scope;
  std::thread host_thread([&] { scope = h.run_flow(flow); });
  const bool signalled = observed.wait();
  EXPECT_TRUE(signalled) << "hang guard: the flow never signalled";
  host::Engine& engine = h.engine();
  if (signalled) {
    for (std::uint64_t id : parked_ids) {
      const auto guard = std::chrono::steady_clock::now() + kHangGuard;
      while (!parked(engine, id) && std::chrono::steady_clock::now() < guard) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      EXPECT_TRUE(parked(engine, id)) << "run " << id << " never parked";
    }
  }
  engine.interrupt();
  host_thread.join();
  return scope;
}

}  // namespace rh::testing
