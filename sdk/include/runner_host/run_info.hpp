// rh::RunInfo: a copy of one run's state, handed to hooks and retry conditions.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/detail/status.hpp>
#include <runner_host/json.hpp>
#include <runner_host/log_level.hpp>
#include <runner_host/state.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace rh {

struct RunInfo {
  std::uint64_t run_id = 0;
  std::uint64_t flow_run_id = 0;
  std::string task_name;
  std::string run_name;
  State state;
  std::uint32_t run_count = 0;
  json params;             // {} when the run has none
  json result;             // null unless the state is COMPLETED-type
  std::string error_type;  // set after a failure: the exception type, e.g. "std::runtime_error"
  std::string error_message;

  RunInfo() = default;
  explicit RunInfo(const rh_run_view& view)
      : run_id(view.run_id),
        flow_run_id(view.flow_run_id),
        task_name(to_string_view(view.task_name)),
        run_name(to_string_view(view.run_name)),
        state(detail::state_from_view(view)),
        run_count(view.run_count),
        params(view.params_json.size == 0 ? json::object() : parse_or_null(view.params_json)),
        result(parse_or_null(view.result_json)),
        error_type(to_string_view(view.error_type)),
        error_message(to_string_view(view.error_message)) {}

  // A line in the host's log about this run, for hooks and retry conditions: while one runs
  // the host knows its run, so the line is named as ctx.log() names a task's (text
  // "[run-name] message"; JSON run_id, run_name, task, flow_run_id and attempt fields).
  void log(LogLevel level, std::string_view message) const {
    detail::host().log(static_cast<std::uint32_t>(level), rh_str{nullptr, 0}, to_rh_str(message));
  }

 private:
  static json parse_or_null(rh_str text) {
    const std::string_view view = to_string_view(text);
    return view.empty() ? json() : json::parse(view, nullptr, /*allow_exceptions=*/false);
  }
};

}  // namespace rh
