// `runner-host report --html FILE ID|last`: the HTML report (docs/html-report.md) of a flow
// run recorded in the store, read-only, one task run at a time.
#pragma once

#include "cli/run_config.hpp"

#include <ostream>
#include <string>

namespace rh::host {

struct ReportQuery {
  std::string ref;   // an id, a unique prefix of one, or "last"
  std::string html;  // the page to write
};

// Returns 0, or 2 with a one-line error on `err` (no store, an id that names no run or
// several, a store that cannot be read, a path that cannot be written).
int report_command(const RunConfig& config, const ReportQuery& query, std::ostream& out, std::ostream& err);

}  // namespace rh::host
