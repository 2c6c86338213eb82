// The runners the conformance suite checks. A new runner joins by adding one line to
// kRunners below.
#pragma once

#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rh::testing {

struct RunnerParam {
  std::string name;
  bool parallel;  // runs several task runs at once (false: one at a time)
  bool takes_max_workers;
  // A task that waits frees its worker for any other work (false: the worker runs other
  // work nested under the wait, which must end before the wait can).
  bool suspends = true;
};

inline const std::vector<RunnerParam> kRunners = {
    {"sequential", false, false, false},
    {"fiber", true, true},
    {"tbb", true, true},
    // The suite's tasks are the program's own, run in the host: one that waits leaves its
    // thread's work to a new thread. (A library task waiting in its worker process nests
    // queued work instead: tests/process.)
    {"process", true, true},
};

inline std::string runner_param_name(const ::testing::TestParamInfo<RunnerParam>& info) { return info.param.name; }

class RunnerConformance : public ::testing::TestWithParam<RunnerParam> {
 protected:
  // Options for this runner with `workers` threads (ignored by runners without workers).
  nlohmann::json workers(int count) const {
    return GetParam().takes_max_workers ? nlohmann::json{{"max_workers", count}} : nlohmann::json::object();
  }
  std::unique_ptr<EngineHarness> harness(int worker_count = 4, host::EngineOptions options = {}) const {
    return std::make_unique<EngineHarness>(GetParam().name, workers(worker_count), std::move(options));
  }
};

}  // namespace rh::testing
