// Which state a run may move to from which (the table lives in state_machine.cpp, next to
// the driver that follows it), and what happens when the engine asks for a transition the
// table does not allow: that is an engine bug.
#pragma once

#include "base/state.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace rh::host {

struct TransitionTable {
  // allowed[from] has bit `to` set when from -> to is legal; the last row is the run's
  // first state (from nothing).
  std::array<std::uint16_t, kStateCount + 1> allowed;

  bool allows(std::optional<StateId> from, StateId to) const noexcept {
    return allows_row(from ? static_cast<int>(*from) : kStateCount, to);
  }
  // row: a StateId, or kStateCount for "no state yet".
  bool allows_row(int row, StateId to) const noexcept { return (allowed[row] >> static_cast<int>(to) & 1u) != 0; }
};

// The engine's transitions (DESIGN.md section 4).
extern const TransitionTable kLegalTransitions;

enum class IllegalTransitionPolicy : std::uint8_t {
  Abort,     // print the transition and abort: debug builds stop at the bug
  CrashRun,  // end the run Crashed with a message naming both states: release builds go on
};

// Abort in builds without NDEBUG (debug), CrashRun with it (release).
IllegalTransitionPolicy default_illegal_transition_policy() noexcept;

// "illegal transition from Running to Pending (an engine bug)".
std::string illegal_transition_message(std::optional<StateId> from, StateId to);

}  // namespace rh::host
