// Waiting in the host, one way everywhere (runs, wait sets, events, the TaskRunWaiter, the
// end of a flow):
//
//   make a wake token -> register it under the owner's lock -> check again -> block ->
//   unregister under the lock -> destroy the token.
//
// The owner sets registered tokens only while holding its lock (WaitList::wake_all), and a
// waiter unregisters under that lock before it destroys its token, so a wake-up never
// touches a freed token and one that comes between the check and the block is not lost.
#pragma once

#include "base/clock.hpp"
#include "runtime/runner_link.hpp"

#include <runner_host/abi.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace rh::host {

// One blocked caller: its wake token and the runner that made it. Lives on the caller's
// stack while it waits.
struct Waiter {
  const RunnerLink* runner;
  rh_event* token;
};

// The callers blocked on one thing. Guarded by the owner's lock. Each entry keeps a copy of
// its waiter's token and runner, so waking does not read the waiting thread's stack (a
// cache line another core just wrote).
class WaitList {
 public:
  void add(Waiter& waiter) { entries_.push_back(Entry{&waiter, waiter.runner, waiter.token}); }
  void remove(const Waiter& waiter) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.waiter == &waiter; });
    if (it != entries_.end()) entries_.erase(it);
  }
  // Wakes and forgets every waiter; before(waiter) runs first for each, e.g. to hand it
  // what it waited for.
  template <class Before>
  void wake_all(Before&& before) {
    for (const Entry& entry : entries_) {
      before(*entry.waiter);
      entry.runner->set(entry.token);
    }
    entries_.clear();
  }
  void wake_all() {
    for (const Entry& entry : entries_) entry.runner->set(entry.token);
    entries_.clear();
  }
  bool empty() const noexcept { return entries_.empty(); }
  // Gives the list's memory back (for owners that will not be waited on again).
  void release_memory() { std::vector<Entry>().swap(entries_); }

 private:
  struct Entry {
    Waiter* waiter;
    const RunnerLink* runner;
    rh_event* token;
  };
  std::vector<Entry> entries_;
};

// How the calling code blocks on a token: task code through the engine (so a cancelled or
// timed-out attempt stops waiting), other code on its runner or as a plain thread.
class Blocker {
 public:
  // The runner the caller's tokens come from.
  virtual const RunnerLink& runner() const = 0;
  // RH_OK once the token is set, RH_TIMEOUT at the deadline, or RH_CANCELLED /
  // RH_TIMED_OUT_ATTEMPT when the calling attempt must stop.
  virtual std::int32_t block(rh_event* token, std::int64_t deadline, std::uint32_t flags) const = 0;
  // The task run whose code is calling, 0 for none: a run must never wait for itself.
  virtual std::uint64_t calling_run() const { return 0; }

 protected:
  ~Blocker() = default;
};

// Plain threads: tokens from thread_link(), nothing that could stop early.
const Blocker& thread_blocker();

// Whether wait_until looks once before it makes a token (most owners), or goes straight to
// the token because its caller has just looked without the lock (a run's done flag).
enum class FirstLook { UnderLock, AlreadyDone };

// Waits until ready() returns a status (it runs under `lock`; std::nullopt means "not
// yet"), the deadline passes (RH_TIMEOUT), or the calling attempt must stop. enlist(waiter)
// and delist(waiter) register and unregister the caller where the owner will wake it; both
// run under `lock`.
template <class Lock, class Ready, class Enlist, class Delist>
std::int32_t wait_until(const Blocker& blocker, Lock& lock, Ready&& ready, Enlist&& enlist, Delist&& delist,
                        std::int64_t deadline, std::uint32_t flags = 0, FirstLook first = FirstLook::UnderLock) {
  if (first == FirstLook::UnderLock) {
    std::lock_guard<Lock> guard(lock);
    if (const std::optional<std::int32_t> done = ready()) return *done;
  }
  const RunnerLink& runner = blocker.runner();
  for (;;) {
    if (deadline != RH_DEADLINE_NONE && monotonic_ns() >= deadline) return RH_TIMEOUT;
    Waiter waiter{&runner, runner.make_token()};
    std::optional<std::int32_t> done;
    {
      std::lock_guard<Lock> guard(lock);
      done = ready();  // it may have happened since the last look
      if (!done) enlist(waiter);
    }
    if (!done) {
      const std::int32_t blocked = blocker.block(waiter.token, deadline, flags);
      {
        std::lock_guard<Lock> guard(lock);
        delist(waiter);
        done = ready();
      }
      if (!done && (blocked == RH_CANCELLED || blocked == RH_TIMED_OUT_ATTEMPT)) done = blocked;
    }
    runner.destroy(waiter.token);
    if (done) return *done;
  }
}

// The same for an owner with one WaitList.
template <class Lock, class Ready>
std::int32_t wait_until(const Blocker& blocker, Lock& lock, WaitList& list, Ready&& ready, std::int64_t deadline,
                        std::uint32_t flags = 0, FirstLook first = FirstLook::UnderLock) {
  return wait_until(
      blocker, lock, std::forward<Ready>(ready), [&list](Waiter& w) { list.add(w); },
      [&list](const Waiter& w) { list.remove(w); }, deadline, flags, first);
}

}  // namespace rh::host
