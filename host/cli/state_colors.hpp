// Terminal colours of the states, as Prefect's UI colours them: completed green, failed red,
// crashed orange, running blue, scheduled (awaiting a retry) yellow, pending and cancelled
// grey. Used where the output is a terminal and NO_COLOR is not set (terminal_colors()).
#pragma once

#include "base/state.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

namespace rh::host {

// The SGR sequence that starts a state's colour; kColorReset ends it.
inline std::string_view state_color(StateId id) {
  switch (id) {
    case StateId::Completed: return "\033[32m";
    case StateId::Cached: return "\033[92m";
    case StateId::Failed:
    case StateId::TimedOut: return "\033[31m";
    case StateId::Crashed: return "\033[38;5;208m";
    case StateId::Running:
    case StateId::Retrying: return "\033[34m";
    case StateId::AwaitingRetry: return "\033[33m";
    case StateId::Pending:
    case StateId::NotReady:
    case StateId::Cancelled: return "\033[90m";
  }
  return "";
}

inline constexpr std::string_view kColorReset = "\033[0m";

// Whether text written to `fd` may be coloured: a terminal that is not "dumb", and NO_COLOR
// unset or empty (https://no-color.org).
inline bool terminal_colors(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

// `text` in the colour of `id` when `color`, else as is.
inline std::string colored(std::string_view text, StateId id, bool color) {
  if (!color) return std::string(text);
  std::string out(state_color(id));
  out += text;
  out += kColorReset;
  return out;
}

}  // namespace rh::host
