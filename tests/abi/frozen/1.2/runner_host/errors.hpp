// Exceptions the SDK throws and understands.
#pragma once

#include <runner_host/state.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace rh {

// Thrown by task code (or by ctx.sleep / waits at the attempt's deadline): the attempt ends
// TimedOut unless a retry remains.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by SDK waits and sleeps when the host cancels the attempt (interrupt, shutdown).
// A task that lets it escape ends Cancelled.
class CancelledError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by SDK calls the host refused: an unknown task, bad parameters, mismatched map
// lengths, a run waiting on itself.
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Thrown by Future::result() when the run did not complete: carries its final state and the
// error that ended it.
class TaskRunError : public std::runtime_error {
 public:
  TaskRunError(State state, std::string error_type, std::string error_message)
      : std::runtime_error(describe(state, error_type, error_message)),
        state_(std::move(state)),
        error_type_(std::move(error_type)),
        error_message_(std::move(error_message)) {}

  const State& state() const noexcept { return state_; }
  // The exception type of the failure inside the task, e.g. "std::runtime_error" (empty if none).
  const std::string& error_type() const noexcept { return error_type_; }
  const std::string& error_message() const noexcept { return error_message_; }

 private:
  static std::string describe(const State& state, const std::string& type, const std::string& message) {
    std::string text = "task run ended " + state.name;
    if (!type.empty())
      text += ": " + type + ": " + message;
    else if (!state.message.empty())
      text += ": " + state.message;
    // Each level of nested runs that fail wraps the one below: without a cap, 10,000 levels
    // would make messages of gigabytes in all. The cause is at the end, so keep the end.
    if (text.size() > kMaxDescription)
      text = "task run ended " + state.name + ": ..." + text.substr(text.size() - kMaxDescription);
    return text;
  }
  static constexpr std::size_t kMaxDescription = 2000;

  State state_;
  std::string error_type_;
  std::string error_message_;
};

}  // namespace rh
