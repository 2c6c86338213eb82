// A task run's state as task code sees it.
#pragma once

#include <runner_host/abi.h>

#include <cstdint>
#include <string>

namespace rh {

enum class StateType : std::uint32_t {
  Pending = RH_STATE_PENDING,
  Scheduled = RH_STATE_SCHEDULED,
  Running = RH_STATE_RUNNING,
  Completed = RH_STATE_COMPLETED,
  Failed = RH_STATE_FAILED,
  Crashed = RH_STATE_CRASHED,
  Cancelled = RH_STATE_CANCELLED,
};

inline const char* to_string(StateType type) {
  switch (type) {
    case StateType::Pending: return "PENDING";
    case StateType::Scheduled: return "SCHEDULED";
    case StateType::Running: return "RUNNING";
    case StateType::Completed: return "COMPLETED";
    case StateType::Failed: return "FAILED";
    case StateType::Crashed: return "CRASHED";
    case StateType::Cancelled: return "CANCELLED";
  }
  return "UNKNOWN";
}

struct State {
  StateType type = StateType::Pending;
  std::string name = "Pending";  // e.g. "Completed", "Cached", "TimedOut", "NotReady"
  std::string message;
  bool final = false;  // the run reached its terminal state

  bool is_completed() const { return type == StateType::Completed; }
  bool is_failed() const { return type == StateType::Failed; }
  bool is_crashed() const { return type == StateType::Crashed; }
  bool is_cancelled() const { return type == StateType::Cancelled; }
};

}  // namespace rh
