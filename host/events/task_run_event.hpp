// One state transition of one run, as published on the event bus. A view: subscribers
// receive it synchronously and copy what they keep.
#pragma once

#include "base/state.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rh::host {

struct TaskRunEvent {
  std::uint64_t id = 0;      // unique on its bus, increasing in publication order per run
  std::int64_t time_us = 0;  // the state's timestamp (wall clock)
  bool is_flow_run = false;  // "flow-run.<State>" instead of "task-run.<State>"

  std::uint64_t run_id = 0;
  std::string_view run_name;
  std::string_view task_name;
  std::uint32_t run_count = 0;
  std::uint64_t flow_run_id = 0;  // 0 outside a flow

  StateId state = StateId::Pending;
  std::string_view message;
  std::int64_t scheduled_us = 0;  // AwaitingRetry only

  std::optional<StateId> previous;
  std::string_view previous_message;

  // "task-run.Completed", "flow-run.Running", ...
  std::string name() const {
    return std::string(is_flow_run ? "flow-run." : "task-run.") + std::string(state_name(state));
  }
};

}  // namespace rh::host
