#include "store/result_files.hpp"

#include "store/sqlite_handle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace rh::host::detail {
namespace {

// A name from a row: a plain file name in the folder, never a path out of it (the rows are
// the user's to edit, and a result must not be read from anywhere else).
bool plain_name(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string::npos;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

ResultFiles::ResultFiles(const std::filesystem::path& store_file)
    : store_file_(store_file), folder_(store_file.string() + ".results") {}

void ResultFiles::write(const std::string& name, std::string_view content) {
  const std::filesystem::path target = folder_ / name;
  const auto fail = [&](const std::string& why) {
    throw StoreError(store_message(store_file_, "cannot write result file " + target.string() + ": " + why));
  };
  std::error_code error;
  std::filesystem::create_directories(folder_, error);
  if (error) fail(error.message());
  const std::filesystem::path temporary = folder_ / ("." + name + ".tmp");
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (fd.get() < 0) fail(std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "nothing written";
      ::unlink(temporary.c_str());
      fail(why);
    }
    done += static_cast<std::size_t>(n);
  }
  // close reports a delayed write error on some file systems (NFS): a result not known to be
  // written is not renamed into place.
  if (::close(fd.release()) != 0 || ::rename(temporary.c_str(), target.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temporary.c_str());
    fail(why);
  }
}

std::string ResultFiles::read(const std::string& name, std::int64_t expected_bytes) const {
  const std::filesystem::path file = folder_ / name;
  const auto fail = [&](const std::string& why) {
    throw StoreError(store_message(store_file_, "cannot read result file " + file.string() + ": " + why));
  };
  if (!plain_name(name)) fail("not a file name of the results folder");
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) fail(std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) fail(std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail("not a regular file");
  if (info.st_size != expected_bytes) {
    fail(std::to_string(info.st_size) + " bytes instead of " + std::to_string(expected_bytes) + " (cut short?)");
  }
  std::string content(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? std::strerror(errno) : "shorter than its size");
    done += static_cast<std::size_t>(n);
  }
  return content;
}

bool ResultFiles::remove(const std::string& name) noexcept {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return false;
  return ::unlink((folder_ / name).c_str()) == 0;
}

std::vector<ResultFiles::Entry> ResultFiles::list(bool temporaries) const {
  std::vector<Entry> entries;
  std::error_code error;
  std::filesystem::directory_iterator it(folder_, error);
  for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    Entry entry;
    entry.name = it->path().filename().string();
    entry.temporary = !plain_name(entry.name);
    if (entry.temporary && !temporaries) continue;
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    entry.bytes = static_cast<std::uint64_t>(info.st_size);
    entry.modified_us = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000 + info.st_mtim.tv_nsec / 1000;
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace rh::host::detail
