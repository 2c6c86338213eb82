#include "base/output_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <streambuf>
#include <vector>

namespace rh::host {
namespace {

std::string quoted(const std::string& path) { return "'" + path + "'"; }

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

[[noreturn]] void fail(const char* what, const std::string& path, const std::string& why) {
  throw OutputFileError(std::string("cannot write ") + what + " " + quoted(path) + ": " + why);
}

void refuse_non_regular(const char* what, const std::string& path, const struct stat& info) {
  if (!S_ISREG(info.st_mode)) {
    fail(what, path, std::string("it is ") + kind_of(info.st_mode) + "; only a regular file is written");
  }
}

// A name in the file's directory nobody else chose: the file's own name and random letters.
std::string sibling_name(const std::string& path) {
  static constexpr char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string name = path + ".tmp-";
  for (int i = 0; i < 10; ++i) name += letters[device() % (sizeof letters - 1)];
  return name;
}

// An ostream's buffer over a descriptor it does not own; remembers the first write error.
class DescriptorBuffer : public std::streambuf {
 public:
  explicit DescriptorBuffer(int fd) : fd_(fd), buffer_(1 << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const noexcept { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* data = pbase();
    std::size_t left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0 && error_ == 0) {
      const ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

}  // namespace

void check_output_path(const std::string& path, const char* what) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    refuse_non_regular(what, path, info);
    if (::access(path.c_str(), W_OK) != 0) fail(what, path, std::strerror(errno));
  } else if (errno != ENOENT) {
    fail(what, path, std::strerror(errno));
  }
  const std::string directory = directory_of(path);
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    fail(what, path, "cannot create files in " + quoted(directory) + ": " + std::strerror(errno));
  }
}

void write_file_atomically(const std::string& path, const char* what, const std::function<void(std::ostream&)>& write) {
  check_output_path(path, what);
  const std::string directory = directory_of(path);
  std::string named;  // the temporary's name when O_TMPFILE is not available
  int fd = ::open(directory.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) fail(what, path, std::strerror(errno));
    named = sibling_name(path);
    fd = ::open(named.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) fail(what, path, std::strerror(errno));
  }
  auto discard = [&] {
    ::close(fd);
    if (!named.empty()) ::unlink(named.c_str());
  };
  int error = 0;
  try {
    DescriptorBuffer buffer(fd);
    std::ostream out(&buffer);
    write(out);
    out.flush();
    error = buffer.error() != 0 ? buffer.error() : (out ? 0 : EIO);
  } catch (...) {
    discard();
    throw;
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (error != 0) {
    discard();
    fail(what, path, std::strerror(error));
  }
  if (named.empty()) {
    // Give the unnamed file a name next to its target, then move it over the target.
    named = sibling_name(path);
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      const int error = errno;
      named.clear();
      discard();
      fail(what, path, std::strerror(error));
    }
  }
  ::close(fd);
  if (::rename(named.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(named.c_str());
    fail(what, path, std::strerror(error));
  }
}

std::FILE* open_scratch_file(const std::string& near, const char* what) {
  std::filesystem::path dir = std::filesystem::path(near).parent_path();
  if (dir.empty()) dir = ".";
  std::FILE* file = nullptr;
  if (const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); fd >= 0) {
    file = ::fdopen(fd, "w+");
    if (file == nullptr) ::close(fd);
  }
  if (file == nullptr) file = std::tmpfile();
  if (file == nullptr) {
    throw OutputFileError(std::string("cannot create a temporary file for ") + what + " " + near + ": " +
                          std::strerror(errno));
  }
  return file;
}

bool copy_scratch_file(std::FILE* scratch, std::ostream& out) {
  if (std::fflush(scratch) != 0) return false;
  std::rewind(scratch);
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, scratch)) > 0;) {
    out.write(buffer, static_cast<std::streamsize>(n));
  }
  const bool whole = std::ferror(scratch) == 0;
  std::fseek(scratch, 0, SEEK_END);
  return whole;
}

int open_for_append(const std::string& path, const char* what) {
  // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader forever.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == ELOOP) fail(what, path, "it is a symbolic link; only a regular file is written");
    if (errno == ENXIO) fail(what, path, "it is a FIFO; only a regular file is written");
    fail(what, path, std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    if (!S_ISREG(info.st_mode)) refuse_non_regular(what, path, info);
    fail(what, path, std::strerror(errno));
  }
  ::fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);  // back to blocking writes
  return fd;
}

}  // namespace rh::host
