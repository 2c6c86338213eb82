// The states of a task run (DESIGN.md section 4): each named state has one state type.
#pragma once

#include <runner_host/abi.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace rh::host {

enum class StateId : std::uint8_t {
  Pending,
  NotReady,
  AwaitingRetry,
  Running,
  Retrying,
  Completed,
  Cached,
  Failed,
  TimedOut,
  Crashed,
  Cancelled,
};

inline constexpr int kStateCount = 11;

struct StateInfo {
  std::uint32_t type;  // RH_STATE_*
  std::string_view name;
  std::string_view type_name;
  bool terminal;  // the run never leaves it
};

inline const StateInfo& state_info(StateId id) {
  static constexpr StateInfo table[kStateCount] = {
      {RH_STATE_PENDING, "Pending", "PENDING", false},
      {RH_STATE_PENDING, "NotReady", "PENDING", true},
      {RH_STATE_SCHEDULED, "AwaitingRetry", "SCHEDULED", false},
      {RH_STATE_RUNNING, "Running", "RUNNING", false},
      {RH_STATE_RUNNING, "Retrying", "RUNNING", false},
      {RH_STATE_COMPLETED, "Completed", "COMPLETED", true},
      {RH_STATE_COMPLETED, "Cached", "COMPLETED", true},
      {RH_STATE_FAILED, "Failed", "FAILED", true},
      {RH_STATE_FAILED, "TimedOut", "FAILED", true},
      {RH_STATE_CRASHED, "Crashed", "CRASHED", true},
      {RH_STATE_CANCELLED, "Cancelled", "CANCELLED", true},
  };
  return table[static_cast<int>(id)];
}

inline std::string_view state_name(StateId id) { return state_info(id).name; }
inline bool is_terminal(StateId id) { return state_info(id).terminal; }
inline bool is_completed(StateId id) { return state_info(id).type == RH_STATE_COMPLETED; }
inline bool is_running(StateId id) { return state_info(id).type == RH_STATE_RUNNING; }

inline std::optional<StateId> state_from_name(std::string_view name) {
  for (int i = 0; i < kStateCount; ++i) {
    if (state_info(static_cast<StateId>(i)).name == name) return static_cast<StateId>(i);
  }
  return std::nullopt;
}

}  // namespace rh::host
