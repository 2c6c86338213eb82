// Cache policies: what a task run's cache key is made of (docs/store.md, "Caching").
//
//   lib.task("square", square)
//       .cache_policy(rh::cache::inputs() + rh::cache::task_source())
//       .cache_expiration(3600);
//
// A run whose key has a stored, unexpired result ends Cached with it, in this invocation or
// any later one sharing the store. The parts:
//   inputs()           the resolved parameters, as canonical JSON; .exclude({"debug"}) leaves
//                      some out
//   task_source()      the task's declared version() and the library's build id (or, without
//                      one, the SHA-256 of its file): C++ has no source text at run time
//   flow_parameters()  the flow run's parameters
//   run_id()           the flow run's id: a cache within one flow run (and its resume)
//   none()             no caching (the default of a task that says nothing)
// The key always includes the task's name, so two tasks with equal inputs never share an
// entry (a cache_key_fn's key is used as it is).
#pragma once

#include <runner_host/abi.h>
#include <runner_host/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace rh {

// How runs with the same cache key (or transactions with the same key) see each other.
enum class Isolation : std::uint32_t {
  // Two at once may both compute; the first to commit is the cached one (the default).
  read_committed = RH_TXN_READ_COMMITTED,
  // One at a time per key, across processes sharing the store: the others wait without
  // holding a worker, then find its result (a run ends Cached).
  serializable = RH_TXN_SERIALIZABLE,
};

}  // namespace rh

namespace rh::cache {

class Policy {
 public:
  Policy() = default;

  // The parts of both; none() + x is x.
  friend Policy operator+(Policy a, const Policy& b) {
    for (const std::string& part : b.parts_) a.add(part);
    for (const std::string& name : b.excluded_) a.excluded_.push_back(name);
    return a;
  }
  // Parameters left out of inputs().
  Policy exclude(std::initializer_list<std::string> names) const {
    Policy copy = *this;
    copy.excluded_.insert(copy.excluded_.end(), names.begin(), names.end());
    return copy;
  }
  Policy exclude(std::vector<std::string> names) const {
    Policy copy = *this;
    copy.excluded_.insert(copy.excluded_.end(), names.begin(), names.end());
    return copy;
  }

  bool empty() const noexcept { return parts_.empty(); }
  // The "cache" option's fields this policy sets (docs/options.md).
  json to_option() const {
    json option = json::object();
    option["policy"] = parts_.empty() ? json("none") : json(parts_);
    if (!excluded_.empty()) option["exclude"] = excluded_;
    return option;
  }

  static Policy part(std::string name) {
    Policy policy;
    policy.add(std::move(name));
    return policy;
  }

 private:
  void add(std::string name) {
    for (const std::string& part : parts_) {
      if (part == name) return;
    }
    parts_.push_back(std::move(name));
  }

  std::vector<std::string> parts_;
  std::vector<std::string> excluded_;
};

inline Policy inputs() { return Policy::part("inputs"); }
inline Policy task_source() { return Policy::part("task_source"); }
inline Policy flow_parameters() { return Policy::part("flow_parameters"); }
inline Policy run_id() { return Policy::part("run_id"); }
inline Policy none() { return Policy(); }

}  // namespace rh::cache
