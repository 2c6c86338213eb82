// The cache key of a run under its task's policy (docs/store.md, "Caching"): the task's
// name and the SHA-256 of the parts its policy names, or the task's own cache_key_fn's key.
#pragma once

#include "engine/task_registry.hpp"

#include <runner_host/abi.h>

#include <string>

namespace rh::host {

struct CacheKeyInputs {
  const std::string& params;         // the run's resolved parameters
  const std::string& flow_params;    // its flow run's parameters
  const std::string& flow_run_uuid;  // its flow run's id
  const rh_task_call& call;          // what cache_key_fn is called with
};

struct CacheKeyResult {
  std::string key;      // empty: the run is not cached
  std::string problem;  // why not, when key is empty
  bool warn = false;    // the problem is an error the user should hear about
};

// Whether the task caches at all (a policy part, or its own key function).
bool task_caches(const TaskDef& task) noexcept;

// Calls the task's cache_key_fn (user code) when it has one.
CacheKeyResult cache_key_of(const TaskDef& task, const CacheKeyInputs& inputs);

}  // namespace rh::host
