#include "cli/run_table.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace rh::host {

void RunTable::fit(const RunRow& row) {
  task_ = std::max(task_, row.task.size());
  name_ = std::max(name_, row.name.size());
  state_ = std::max(state_, row.state.size());
}

void RunTable::print_header(std::ostream& out) const { print(out, {"TASK", "RUN", "STATE", "ATTEMPTS", "DURATION"}); }

void RunTable::print(std::ostream& out, const RunRow& row) const {
  out << std::left << std::setw(static_cast<int>(task_)) << row.task << "  " << std::setw(static_cast<int>(name_))
      << row.name << "  " << std::setw(static_cast<int>(state_)) << row.state << "  " << std::setw(8) << row.attempts
      << "  " << row.duration << '\n';
}

void print_run_counts(std::ostream& out, std::uint64_t total, const std::map<std::string, std::uint64_t>& by_state,
                      bool listed_all, std::size_t shown, const char* how_to_see_all) {
  std::ostringstream counts;
  for (const auto& [state, n] : by_state) counts << (counts.tellp() > 0 ? ", " : "") << n << ' ' << state;
  out << total << " task run" << (total == 1 ? "" : "s") << (total == 0 ? "" : ": " + counts.str());
  if (!listed_all) out << " (showing " << shown << " that did not complete; " << how_to_see_all << ")";
  out << '\n';
}

}  // namespace rh::host
