// Turns ABI status codes and run views into C++ values and exceptions. Internal to the SDK.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/errors.hpp>
#include <runner_host/state.hpp>

#include <string>

namespace rh {
namespace detail {

// Throws the exception a blocking SDK call raises when the host ended it early.
inline void throw_if_interrupted(int32_t status, const ErrorCapture* error = nullptr) {
  switch (status) {
    case RH_CANCELLED: throw CancelledError("the task run was cancelled");
    case RH_TIMED_OUT_ATTEMPT: throw TimeoutError("the task run exceeded its timeout");
    case RH_ERROR:
      throw UsageError(error != nullptr && error->has_error ? error->message : std::string("runner-host call failed"));
    default: break;
  }
}

inline State state_from_view(const rh_run_view& view) {
  State state;
  state.type = static_cast<StateType>(view.state_type);
  state.name.assign(to_string_view(view.state_name));
  state.message.assign(to_string_view(view.state_message));
  state.final = view.is_final;
  return state;
}

// Calls run_snapshot with a C++ callable.
template <class Fn>
void visit_run(rh_run* run, Fn& fn) {
  host().run_snapshot(
      run, [](void* ud, const rh_run_view* view) { (*static_cast<Fn*>(ud))(*view); }, &fn);
}

}  // namespace detail
}  // namespace rh
