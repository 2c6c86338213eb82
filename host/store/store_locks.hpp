// The store side of key locks (SERIALIZABLE isolation, docs/store.md "Isolation"): a thread
// of its own, with a connection of its own, that takes rows of the locks table for this
// store object (one owner) and renews their lease. Workers never wait for it: they ask and
// are called back. Releases are not here: they go through the writer, in order with the
// records they must follow (LockRelease).
#pragma once

#include "store/sqlite_handle.hpp"
#include "store/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rh::host::detail {

class StoreLocks {
 public:
  // Opens its connection and starts its thread. Throws StoreError.
  explicit StoreLocks(const StoreOptions& options);
  // Stops the thread and deletes this owner's rows: whatever it still held is free.
  ~StoreLocks();
  StoreLocks(const StoreLocks&) = delete;
  StoreLocks& operator=(const StoreLocks&) = delete;

  void acquire(std::string key, std::string holder, std::function<void(LockGrant)> done);
  void cancel_all();

 private:
  using Clock = std::chrono::steady_clock;
  struct Request {
    std::string key;
    std::string holder;
    std::function<void(LockGrant)> done;
    std::uint64_t epoch = 0;
    Clock::time_point next_try{};
    Clock::duration backoff{};
  };
  enum class Try { Granted, Held, Failed };

  void run() noexcept;
  // One look at the key's row, in a write transaction: takes it when it is free.
  Try try_acquire(Request& request, LockGrant& grant);
  void renew() noexcept;
  void answer(const Request& request, LockGrant grant);

  const StoreOptions options_;
  Connection db_;
  Statement find_;
  Statement take_;
  Statement renew_;
  const std::string owner_;
  const std::string host_;
  const std::int64_t pid_;
  std::uint64_t tokens_ = 0;  // lock thread only

  std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  std::vector<Request> pending_;
  std::uint64_t epoch_ = 0;  // cancel_all() moves it on: older requests are not answered
  bool stopping_ = false;

  std::mutex answering_;  // held while `done` runs, so cancel_all() can wait for it
  std::thread thread_;    // last: it starts once everything above exists
};

}  // namespace rh::host::detail
