#include "cli/report_spool.hpp"

#include "base/output_files.hpp"
#include "cli/report.hpp"

#include <cerrno>
#include <cstring>

namespace rh::host {

ReportSpool::ReportSpool(const std::string& report_path) : file_(open_scratch_file(report_path, "the report")) {}

ReportSpool::~ReportSpool() {
  if (file_ != nullptr) std::fclose(file_);
}

void ReportSpool::add(const Run& run) noexcept {
  try {
    const std::string entry = report_entry(run);
    if (runs_ != 0) std::fputs(",\n    ", file_);
    if (std::fwrite(entry.data(), 1, entry.size(), file_) != entry.size() && error_.empty()) {
      error_ = std::strerror(errno);
    }
    ++runs_;
    if (!run.started()) never_started_.push_back(run.id());
  } catch (const std::exception& e) {
    if (error_.empty()) error_ = e.what();
  }
}

void ReportSpool::copy_to(std::ostream& out) {
  if (!copy_scratch_file(file_, out) && error_.empty()) error_ = std::strerror(errno);
  if (!error_.empty()) {
    throw OutputFileError("the report lost task runs spooled to a temporary file: " + error_);
  }
}

}  // namespace rh::host
