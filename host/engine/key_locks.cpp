#include "engine/key_locks.hpp"

#include "store/store.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace rh::host {

KeyLocks::~KeyLocks() {
  if (store_ != nullptr) store_->cancel_lock_requests();
}

std::int32_t KeyLocks::acquire(const std::string& name, const std::string& holder, const Blocker& blocker,
                               std::int64_t deadline, Hold* hold, std::string* error) {
  std::uint64_t id = 0;
  bool ask_store = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = next_id_++;
    Key& key = keys_[name];
    if (store_ == nullptr) key.held_in_store = true;
    key.queue.push_back(Entry{id, nullptr, {}});
    if (!key.held_in_store && !key.asked_store) {
      key.asked_store = true;
      ask_store = true;
    }
    grant_next(key);
  }
  // Outside the lock: a store that cannot lock answers at once, on this thread.
  if (ask_store) {
    store_->acquire_lock(name, holder, [this, name](LockGrant grant) {
      on_store_answer(name, std::move(grant.token), std::move(grant.error));
    });
  }

  const auto entry_of = [this, &name, id]() -> Entry* {
    Key& key = keys_.at(name);
    auto it = std::find_if(key.queue.begin(), key.queue.end(), [id](const Entry& e) { return e.id == id; });
    return it == key.queue.end() ? nullptr : &*it;
  };
  const std::int32_t status = wait_until(
      blocker, mutex_,
      [&]() -> std::optional<std::int32_t> {
        if (keys_.at(name).holder == id) return RH_OK;
        if (Entry* entry = entry_of(); entry != nullptr && !entry->error.empty()) {
          if (error != nullptr) *error = entry->error;
          return RH_ERROR;
        }
        return std::nullopt;
      },
      [&](Waiter& waiter) { entry_of()->waiter = &waiter; },  // still queued: ready() said not yet
      [&](const Waiter&) {
        if (Entry* entry = entry_of()) entry->waiter = nullptr;  // none once granted
      },
      deadline);

  std::string token_to_free;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Key& key = keys_.at(name);
    if (status == RH_OK) {
      *hold = Hold{name, id};
      return RH_OK;
    }
    // Gave up (or refused): out of the queue, and if the key came to us meanwhile, on to
    // the next one.
    key.queue.erase(std::remove_if(key.queue.begin(), key.queue.end(), [id](const Entry& e) { return e.id == id; }),
                    key.queue.end());
    if (key.holder == id) {
      key.holder = 0;
      grant_next(key);
    }
    token_to_free = forget_if_idle(name, key);
  }
  free_in_store(name, std::move(token_to_free));
  return status;
}

void KeyLocks::release(Hold& hold) {
  if (!hold) return;
  std::string token_to_free;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = keys_.find(hold.key);
    if (found != keys_.end() && found->second.holder == hold.id) {
      found->second.holder = 0;
      grant_next(found->second);
      token_to_free = forget_if_idle(hold.key, found->second);
    }
  }
  free_in_store(hold.key, std::move(token_to_free));
  hold = Hold{};
}

std::size_t KeyLocks::keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_.size();
}

void KeyLocks::grant_next(Key& key) {
  if (key.holder != 0 || !key.held_in_store || key.queue.empty()) return;
  const Entry next = key.queue.front();
  key.queue.pop_front();
  key.holder = next.id;
  if (next.waiter != nullptr) next.waiter->runner->set(next.waiter->token);
}

std::string KeyLocks::forget_if_idle(const std::string& name, Key& key) {
  // A key asked for in the store stays until the store answers: the answer lands here.
  if (key.holder != 0 || !key.queue.empty() || (key.asked_store && !key.held_in_store)) return {};
  std::string token = std::move(key.token);
  keys_.erase(name);
  return token;
}

void KeyLocks::on_store_answer(const std::string& name, std::string token, std::string error) {
  std::string token_to_free;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = keys_.find(name);
    if (found == keys_.end()) return;  // cannot happen: an asked key waits for its answer
    Key& key = found->second;
    key.asked_store = false;
    if (error.empty()) {
      key.held_in_store = true;
      key.token = std::move(token);
      grant_next(key);
    } else {
      // Every waiter ends with the store's reason; a later acquire asks again.
      for (Entry& entry : key.queue) {
        entry.error = error;
        if (entry.waiter != nullptr) entry.waiter->runner->set(entry.waiter->token);
      }
    }
    token_to_free = forget_if_idle(name, key);
  }
  free_in_store(name, std::move(token_to_free));
}

void KeyLocks::free_in_store(const std::string& name, std::string token) {
  if (store_ == nullptr || token.empty()) return;
  try {
    store_->release_lock(name, std::move(token));
  } catch (const StoreError&) {
    // A store open read-only never held it; anything else: the lease runs out.
  }
}

}  // namespace rh::host
