// The task runs a report will show that the scope already let go of (RunScope's
// retirement): each rendered once, as it is retired, into an unnamed temporary file, so a
// report of ten million runs never holds them in memory. write_report copies them out.
#pragma once

#include "engine/run.hpp"

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace rh::host {

class ReportSpool {
 public:
  // The file goes next to the report (where there is room for the report), else to the
  // system's temporary directory. Throws OutputFileError when neither can be created.
  explicit ReportSpool(const std::string& report_path);
  ~ReportSpool();
  ReportSpool(const ReportSpool&) = delete;
  ReportSpool& operator=(const ReportSpool&) = delete;

  // The retire observer: renders the run and appends it. Never throws; a write error is
  // kept and reported by copy_to.
  void add(const Run& run) noexcept;

  // Runs spooled (their counts by state are the scope's retired tally), and the ids of
  // those that never started.
  std::uint64_t runs() const noexcept { return runs_; }
  const std::vector<std::uint64_t>& never_started() const noexcept { return never_started_; }

  // Writes the spooled entries (each already indented as a member of "task_runs", separated
  // by ",\n    "). Throws OutputFileError if the spool lost anything.
  void copy_to(std::ostream& out);

 private:
  std::FILE* file_ = nullptr;
  std::string error_;  // the first write error
  std::uint64_t runs_ = 0;
  std::vector<std::uint64_t> never_started_;
};

}  // namespace rh::host
