// Key locks of SERIALIZABLE isolation (docs/store.md, "Isolation"): one holder per key,
// from the moment a run (or a transaction) looks for the key's result until it has written
// its own, so a second run with the same key waits and then finds that result.
//
// The holder is an attempt (or a transaction), never a thread: a fiber or TBB task that
// migrates keeps what it holds. In this process the holders of a key queue in order and a
// release hands the key to the next one at once (its wait ends: no polling). Across
// processes the session holds the key in the store (Store::acquire_lock) for as long as any
// of its attempts holds or waits for it, and frees it there (in order with the records
// before) when the last one is done. A waiter blocks as the calling task code does for any
// wait: a fiber is suspended, and the attempt's timeout and cancellation end the wait.
#pragma once

#include "runtime/wait.hpp"

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rh::host {

class Store;

class KeyLocks {
 public:
  // What a holder has: release it exactly once.
  struct Hold {
    std::string key;
    std::uint64_t id = 0;  // 0: nothing held
    explicit operator bool() const noexcept { return id != 0; }
  };

  // store: where other processes' holds are (nullptr: this process only).
  explicit KeyLocks(Store* store) : store_(store) {}
  // Every hold has been released (no attempt runs any more); a store request still
  // unanswered is dropped.
  ~KeyLocks();
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;

  // Waits until the caller holds `key`. RH_OK with *hold set; RH_TIMEOUT at the deadline;
  // RH_CANCELLED / RH_TIMED_OUT_ATTEMPT when the calling attempt must stop; RH_ERROR with
  // *error when the store could not lock it. `holder` says who waits, for the store's table.
  std::int32_t acquire(const std::string& key, const std::string& holder, const Blocker& blocker, std::int64_t deadline,
                       Hold* hold, std::string* error);
  // Hands the key to the next waiter, or frees it.
  void release(Hold& hold);

  // Keys held or waited for (tests: nothing stays behind).
  std::size_t keys() const;

 private:
  struct Entry {
    std::uint64_t id;
    Waiter* waiter = nullptr;  // while its owner is blocked
    std::string error;         // the store refused: the wait ends with it
  };
  struct Key {
    std::uint64_t holder = 0;
    bool held_in_store = false;  // always, without a store
    bool asked_store = false;
    std::string token;  // the store's, while held there
    std::deque<Entry> queue;
  };

  // Both with mutex_ held.
  void grant_next(Key& key);
  // Forgets the key when nobody holds or waits for it; returns the token to free in the store.
  std::string forget_if_idle(const std::string& name, Key& key);
  void on_store_answer(const std::string& name, std::string token, std::string error);
  void free_in_store(const std::string& name, std::string token);

  Store* const store_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Key> keys_;
  std::uint64_t next_id_ = 1;
};

}  // namespace rh::host
