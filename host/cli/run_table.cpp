#include "cli/run_table.hpp"

#include "base/state.hpp"
#include "cli/state_colors.hpp"

#include <algorithm>
#include <iomanip>
#include <optional>
#include <sstream>

namespace rh::host {

void RunTable::fit(const RunRow& row) {
  task_ = std::max(task_, row.task.size());
  name_ = std::max(name_, row.name.size());
  state_ = std::max(state_, row.state.size());
}

void RunTable::print_header(std::ostream& out) const { print(out, {"TASK", "RUN", "STATE", "ATTEMPTS", "DURATION"}); }

namespace {

// `text` padded to `width` columns, then coloured as its state when `color` (padding first:
// the escape sequences take no column).
std::string state_cell(const std::string& text, std::size_t width, bool color) {
  std::string cell = text;
  if (cell.size() < width) cell.append(width - cell.size(), ' ');
  const std::optional<StateId> id = state_from_name(text);
  return id && color ? colored(cell, *id, true) : cell;
}

}  // namespace

void RunTable::print(std::ostream& out, const RunRow& row) const {
  out << std::left << std::setw(static_cast<int>(task_)) << row.task << "  " << std::setw(static_cast<int>(name_))
      << row.name << "  " << state_cell(row.state, state_, color_) << "  " << std::setw(8) << row.attempts << "  "
      << row.duration << '\n';
}

void print_run_counts(std::ostream& out, std::uint64_t total, const std::map<std::string, std::uint64_t>& by_state,
                      bool listed_all, std::size_t shown, const char* how_to_see_all, bool color) {
  if (!listed_all && shown == 0) {
    std::size_t width = 5;  // "STATE"
    for (const auto& entry : by_state) width = std::max(width, entry.first.size());
    out << std::left << std::setw(static_cast<int>(width)) << "STATE"
        << "  RUNS\n";
    for (const auto& [state, n] : by_state) out << state_cell(state, width, color) << "  " << n << '\n';
  }
  std::ostringstream counts;
  for (const auto& [state, n] : by_state) {
    counts << (counts.tellp() > 0 ? ", " : "") << n << ' ';
    const std::optional<StateId> id = state_from_name(state);
    counts << (id ? colored(state, *id, color) : state);
  }
  out << total << " task run" << (total == 1 ? "" : "s") << (total == 0 ? "" : ": " + counts.str());
  if (!listed_all && shown == 0) {
    out << " (every one completed; " << how_to_see_all << ")";
  } else if (!listed_all) {
    out << " (showing " << shown << " that did not complete; " << how_to_see_all << ")";
  }
  out << '\n';
}

}  // namespace rh::host
