// What the loader can tell about a plugin file before dlopen: whether it is a regular file
// at all (dlopen on a FIFO blocks forever) and whether its ELF header describes a shared
// library this process can load (dlopen says only "No such file or directory" or "invalid
// ELF header" otherwise). Reads the header with glibc's <elf.h> structs.
#pragma once

#include <sys/types.h>
#include <optional>
#include <string>

namespace rh::host {

// "is a FIFO", "is a character device", ...: what a file of this st_mode is when it is not a
// regular file or a directory; nothing for a regular file.
std::optional<std::string> special_file_kind(mode_t mode);

// What is wrong with the ELF header of the open file `fd` for this process, e.g. "is an ELF
// for aarch64, this host is x86-64" or "is not an ELF shared library (no ELF header)";
// "is truncated (...)" when a segment lies past the end of the file (dlopen would fault
// with SIGBUS mapping it); nothing when it is a whole shared library of this machine, class
// and byte order.
std::optional<std::string> elf_problem(int fd);

}  // namespace rh::host
