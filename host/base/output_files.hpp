// Files the host writes on the user's behalf (--report, --events), created so that nothing
// else can be made to receive them: a planted symlink, a FIFO or a device node at the path
// is refused rather than followed, written to or replaced, and a report is never seen half
// written, even after a kill.
#pragma once

#include <cstdio>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>

namespace rh::host {

class OutputFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Refuses a path the host cannot or must not write: an existing entry that is not a regular
// file (directory, symlink, FIFO, device, socket), or a directory it cannot create files
// in. `what` names the file in the message ("the report"). Throws OutputFileError.
void check_output_path(const std::string& path, const char* what);

// Writes the file through `write`, then puts it in place at once: the content goes to an
// unnamed file in the same directory (O_TMPFILE; where the file system lacks it, a new file
// created exclusively, without following links, and removed on failure) that is linked
// and renamed over `path` only when complete. Throws OutputFileError naming the file.
void write_file_atomically(const std::string& path, const char* what, const std::function<void(std::ostream&)>& write);

// A scratch file for what an output file will hold, spooled while runs run: unnamed (gone
// when closed, even after a kill) in the directory of `near` (where the output will need the
// room), else the system's temporary directory. Throws OutputFileError naming `what`.
std::FILE* open_scratch_file(const std::string& near, const char* what);

// Writes what `scratch` holds to `out`, then leaves it positioned at its end for more.
// False when it could not be read back whole.
bool copy_scratch_file(std::FILE* scratch, std::ostream& out);

// Opens `path` for appending (creating it), refusing what check_output_path refuses; never
// blocks on a FIFO and never follows a symlink. Throws OutputFileError.
int open_for_append(const std::string& path, const char* what);

}  // namespace rh::host
