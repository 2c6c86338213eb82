// Waiting on many futures: wait() splits them into done / not done, as_completed() hands
// them back in the order they finish, gather() collects results in order and fails fast.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/detail/status.hpp>
#include <runner_host/errors.hpp>
#include <runner_host/future.hpp>
#include <runner_host/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rh {

struct DoneAndNotDone {
  std::vector<Future> done;      // in completion order
  std::vector<Future> not_done;  // in input order
};

namespace detail {

// Owns an rh_waitset filled with the given futures (duplicates removed).
class WaitSet {
 public:
  explicit WaitSet(const std::vector<Future>& futures) : set_(host().waitset_create()) {
    index_.reserve(futures.size());
    for (const Future& f : futures) {
      if (!f.valid()) {
        host().waitset_destroy(set_);
        throw UsageError("cannot wait on an empty rh::Future");
      }
      if (!index_.emplace(f.handle(), unique_.size()).second) continue;
      unique_.push_back(f);
      host().waitset_add(set_, f.handle());
    }
  }
  ~WaitSet() { host().waitset_destroy(set_); }
  WaitSet(const WaitSet&) = delete;
  WaitSet& operator=(const WaitSet&) = delete;

  // The next future to finish; nullopt on timeout or when all were returned.
  std::optional<Future> next(rh_time_ns deadline, bool* timed_out) {
    rh_run* run = nullptr;
    const int32_t status = host().waitset_next(set_, deadline, &run);
    throw_if_interrupted(status);
    *timed_out = status == RH_TIMEOUT;
    if (status != RH_OK) return std::nullopt;
    done_.push_back(index_.at(run));
    return unique_[done_.back()];
  }
  // Indices (into unique()) of the futures next() returned, in that order.
  const std::vector<std::size_t>& done() const { return done_; }
  const std::vector<Future>& unique() const { return unique_; }

 private:
  rh_waitset* set_;
  std::vector<Future> unique_;
  std::unordered_map<rh_run*, std::size_t> index_;
  std::vector<std::size_t> done_;
};

// A timeout as a deadline; a negative timeout is an error (unlike a single future's wait).
template <class Rep, class Period>
rh_time_ns checked_deadline(std::chrono::duration<Rep, Period> timeout) {
  if (timeout.count() < 0) {
    std::string seconds = std::to_string(std::chrono::duration<double>(timeout).count());
    seconds.erase(seconds.find_last_not_of('0') + 1);
    if (!seconds.empty() && seconds.back() == '.') seconds.pop_back();
    throw std::invalid_argument("'timeout' must be a non-negative number, got " + seconds);
  }
  return deadline_after(timeout);
}

inline DoneAndNotDone split_done(const std::vector<Future>& futures, rh_time_ns deadline);

}  // namespace detail

// Waits until every future is done; duplicates are counted once.
inline DoneAndNotDone wait(const std::vector<Future>& futures) { return detail::split_done(futures, RH_DEADLINE_NONE); }

// Waits until every future is done or the timeout passes; never throws on timeout.
// A negative timeout is an error.
template <class Rep, class Period>
DoneAndNotDone wait(const std::vector<Future>& futures, std::chrono::duration<Rep, Period> timeout) {
  return detail::split_done(futures, detail::checked_deadline(timeout));
}

inline DoneAndNotDone detail::split_done(const std::vector<Future>& futures, rh_time_ns deadline) {
  detail::WaitSet set(futures);
  DoneAndNotDone out;
  bool timed_out = false;
  while (auto f = set.next(deadline, &timed_out)) out.done.push_back(std::move(*f));
  std::vector<bool> finished(set.unique().size(), false);
  for (std::size_t i : set.done()) finished[i] = true;
  for (std::size_t i = 0; i < finished.size(); ++i) {
    if (!finished[i]) out.not_done.push_back(set.unique()[i]);
  }
  return out;
}

// Hands futures back as they finish (already finished ones first). The timeout counts
// from construction; when it passes, next() throws TimeoutError("N (of M) futures unfinished").
class AsCompleted {
 public:
  explicit AsCompleted(const std::vector<Future>& futures) : deadline_(RH_DEADLINE_NONE), set_(futures) {}
  template <class Rep, class Period>
  AsCompleted(const std::vector<Future>& futures, std::chrono::duration<Rep, Period> timeout)
      : deadline_(detail::checked_deadline(timeout)), set_(futures) {}

  // The next finished future, or nullopt when all were returned.
  std::optional<Future> next() {
    bool timed_out = false;
    std::optional<Future> f = set_.next(deadline_, &timed_out);
    if (f) ++returned_;
    if (timed_out) {
      const std::size_t total = set_.unique().size();
      throw TimeoutError(std::to_string(total - returned_) + " (of " + std::to_string(total) + ") futures unfinished");
    }
    return f;
  }

  // Range-for support: for (rh::Future f : rh::as_completed(futures)) { ... }
  class iterator {
   public:
    explicit iterator(AsCompleted* owner) : owner_(owner) { advance(); }
    const Future& operator*() const { return *current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(const iterator& other) const { return owner_ != other.owner_; }

   private:
    void advance() {
      if (owner_ == nullptr) return;
      current_ = owner_->next();
      if (!current_) owner_ = nullptr;
    }
    AsCompleted* owner_;
    std::optional<Future> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(nullptr); }

 private:
  rh_time_ns deadline_;
  detail::WaitSet set_;
  std::size_t returned_ = 0;
};

inline AsCompleted as_completed(const std::vector<Future>& futures) { return AsCompleted(futures); }
template <class Rep, class Period>
AsCompleted as_completed(const std::vector<Future>& futures, std::chrono::duration<Rep, Period> timeout) {
  return AsCompleted(futures, timeout);
}

// Results in input order (a duplicate gets the same result at each position). Fails fast:
// throws the TaskRunError of the first future to finish without completing, even while
// earlier ones still run.
inline std::vector<json> gather(const std::vector<Future>& futures) {
  detail::WaitSet set(futures);
  bool timed_out = false;
  while (auto f = set.next(RH_DEADLINE_NONE, &timed_out)) {
    if (!f->state().is_completed()) (void)f->result();  // throws this run's TaskRunError
  }
  std::vector<json> results;
  results.reserve(futures.size());
  for (const Future& f : futures) results.push_back(f.result());
  return results;
}

}  // namespace rh
