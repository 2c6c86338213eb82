#include "cli/report_spool.hpp"

#include "base/output_files.hpp"
#include "cli/report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rh::host {

namespace {

// An unnamed file in `dir` (gone when closed, even after a kill), or nullptr.
std::FILE* open_unnamed(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  std::FILE* file = ::fdopen(fd, "w+");
  if (file == nullptr) ::close(fd);
  return file;
}

}  // namespace

ReportSpool::ReportSpool(const std::string& report_path) {
  std::filesystem::path dir = std::filesystem::path(report_path).parent_path();
  if (dir.empty()) dir = ".";
  file_ = open_unnamed(dir);
  if (file_ == nullptr) file_ = std::tmpfile();
  if (file_ == nullptr) {
    throw OutputFileError("cannot create a temporary file for the report " + report_path + ": " + std::strerror(errno));
  }
}

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
  if (std::fflush(file_) != 0 && error_.empty()) error_ = std::strerror(errno);
  if (!error_.empty()) {
    throw OutputFileError("the report lost task runs spooled to a temporary file: " + error_);
  }
  std::rewind(file_);
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;)
    out.write(buffer, static_cast<std::streamsize>(n));
  std::fseek(file_, 0, SEEK_END);  // a later add() appends again
}

}  // namespace rh::host
