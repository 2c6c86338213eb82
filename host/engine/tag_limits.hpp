// Tag concurrency limits: a run takes one slot of every limited tag it carries, all or
// nothing. A run that cannot get all of them waits in a queue (holding nothing); a release
// hands freed slots to waiters at once, in arrival order per tag. Nothing polls.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rh::host {

class Run;

class TagLimits {
 public:
  TagLimits() = default;
  explicit TagLimits(const std::map<std::string, std::int64_t>& limits);

  // Whether any of these tags has a limit (runs without limited tags skip the lock).
  bool limits_any(const std::vector<std::string>& tags) const {
    return !limits_.empty() && !tags.empty() && any_limited(tags);
  }

  enum class Outcome { Granted, Queued, ZeroLimit };
  struct Acquisition {
    Outcome outcome;
    std::string zero_tag;  // ZeroLimit: the tag whose limit is 0
  };
  // Granted: the run holds a slot of each limited tag. Queued: it will be returned by a
  // later release(); `before_queueing` ran just before, under the lock a release takes, so
  // what it writes is seen by whoever the release hands the run to. ZeroLimit: it can never run.
  Acquisition acquire(Run* run, const std::vector<std::string>& tags,
                      const std::function<void()>& before_queueing = {});

  // Frees the run's slots; returns queued runs that now hold all their slots, in order.
  std::vector<Run*> release(const std::vector<std::string>& tags);

  // Removes every queued run (on interrupt); they hold nothing.
  std::vector<Run*> drain_waiters();

  std::int64_t in_use(const std::string& tag) const;
  std::int64_t capacity(const std::string& tag) const;  // -1: unlimited

 private:
  struct Waiting {
    Run* run;
    const std::vector<std::string>* tags;
  };
  struct Limit {
    std::int64_t capacity = 0;
    std::int64_t used = 0;
    std::deque<Waiting> queue;
  };

  bool any_limited(const std::vector<std::string>& tags) const;
  // The first limited tag without a free slot, or nullptr when all fit. Caller holds mutex_.
  Limit* first_full(const std::vector<std::string>& tags);
  void take(const std::vector<std::string>& tags);

  mutable std::mutex mutex_;
  std::map<std::string, Limit, std::less<>> limits_;
};

}  // namespace rh::host
