// The run a log line is about. The engine sets it on the logging thread for the length of one
// logging call, one hook or one retry condition; spdlog formats on the calling thread, so the
// host's formatters read it there: the text format prefixes "[run-name] ", the JSON format
// gives each field its own member instead of burying them in the message.
#pragma once

#include <cstdint>
#include <string_view>

namespace rh::host {

struct LogFields {
  std::uint64_t run_id = 0;
  std::uint64_t flow_run_id = 0;  // 0 outside a flow
  std::string_view run_name;
  std::string_view task;
  std::uint32_t attempt = 0;  // 0 before the first attempt (a run that never started)
};

namespace detail {
inline thread_local const LogFields* tl_log_fields = nullptr;
}  // namespace detail

// The fields of the line being logged on this thread, or nullptr when it is about no run.
inline const LogFields* current_log_fields() noexcept { return detail::tl_log_fields; }

// Makes `fields` the current ones until it goes out of scope (nesting restores the outer).
class ScopedLogFields {
 public:
  explicit ScopedLogFields(const LogFields& fields) noexcept : previous_(detail::tl_log_fields) {
    detail::tl_log_fields = &fields;
  }
  ~ScopedLogFields() { detail::tl_log_fields = previous_; }
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  const LogFields* previous_;
};

}  // namespace rh::host
