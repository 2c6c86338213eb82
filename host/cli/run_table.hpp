// The table of task runs printed at the end of a run and by `runner-host show`: task, run
// name, final state, attempts, duration, then one line of counts by state. Rows are fitted
// first and printed after, so a caller can stream them (show --all reads the store twice
// rather than hold a million rows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace rh::host {

struct RunRow {
  std::string task, name, state, attempts, duration;
};

class RunTable {
 public:
  // color: the state column in the states' colours (cli/state_colors.hpp).
  explicit RunTable(bool color = false) : color_(color) {}
  // Widens the columns to fit `row`.
  void fit(const RunRow& row);
  void print_header(std::ostream& out) const;
  void print(std::ostream& out, const RunRow& row) const;

 private:
  std::size_t task_ = 4, name_ = 3, state_ = 5;  // the headers' widths
  bool color_;
};

// "12 task runs: 10 Completed, 2 Failed", plus, when not every run was listed,
// " (showing <shown> that did not complete; <how_to_see_all>)". When none was listed (every
// run completed) a table of the counts comes first, under a header: the output never ends in
// a bare line of counts.
void print_run_counts(std::ostream& out, std::uint64_t total, const std::map<std::string, std::uint64_t>& by_state,
                      bool listed_all, std::size_t shown, const char* how_to_see_all, bool color = false);

}  // namespace rh::host
