#include "plugins/elf_check.hpp"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace rh::host {
namespace {

// The ELF machine, class and byte order of this build of the host.
#if defined(__x86_64__)
constexpr unsigned kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kHostMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr unsigned kHostMachine = EM_386;
#elif defined(__arm__)
constexpr unsigned kHostMachine = EM_ARM;
#elif defined(__riscv)
constexpr unsigned kHostMachine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr unsigned kHostMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr unsigned kHostMachine = EM_S390;
#else
constexpr unsigned kHostMachine = EM_NONE;  // unknown: the machine is not checked
#endif
constexpr unsigned char kHostClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kHostData = ELFDATA2LSB;
#else
constexpr unsigned char kHostData = ELFDATA2MSB;
#endif

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    case EM_386: return "x86 (i386)";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_PPC: return "ppc";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    case EM_SPARCV9: return "sparc64";
    default: return "machine " + std::to_string(machine);
  }
}

bool read_at(int fd, void* buffer, std::size_t size, std::uint64_t offset) {
  return pread(fd, buffer, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

using Ehdr = std::conditional_t<sizeof(void*) == 8, Elf64_Ehdr, Elf32_Ehdr>;
using Phdr = std::conditional_t<sizeof(void*) == 8, Elf64_Phdr, Elf32_Phdr>;

}  // namespace

std::optional<std::string> special_file_kind(mode_t mode) {
  if (S_ISFIFO(mode)) return "is a FIFO";
  if (S_ISCHR(mode)) return "is a character device";
  if (S_ISBLK(mode)) return "is a block device";
  if (S_ISSOCK(mode)) return "is a socket";
  if (S_ISDIR(mode)) return "is a directory";
  if (!S_ISREG(mode)) return "is not a regular file";
  return std::nullopt;
}

std::optional<std::string> elf_problem(int fd) {
  unsigned char ident[EI_NIDENT];
  if (!read_at(fd, ident, sizeof(ident), 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return std::string("is not an ELF shared library (no ELF header)");
  }
  if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) {
    return std::string("is not an ELF shared library (unknown ELF class)");
  }
  const int bits = ident[EI_CLASS] == ELFCLASS64 ? 64 : 32;
  if (ident[EI_CLASS] != kHostClass) {
    return "is a " + std::to_string(bits) + "-bit ELF, this host is " + (kHostClass == ELFCLASS64 ? "64" : "32") +
           "-bit";
  }
  if (ident[EI_DATA] != kHostData) {
    return std::string("is a ") + (ident[EI_DATA] == ELFDATA2MSB ? "big" : "little") + "-endian ELF, this host is " +
           (kHostData == ELFDATA2LSB ? "little" : "big") + "-endian";
  }
  // The class is the host's (checked above), so its own header structs describe the file.
  Ehdr header;
  if (!read_at(fd, &header, sizeof(header), 0)) return std::string("is truncated (shorter than its ELF header)");
  if (kHostMachine != EM_NONE && header.e_machine != kHostMachine) {
    return "is an ELF for " + machine_name(header.e_machine) + ", this host is " + machine_name(kHostMachine);
  }
  if (header.e_type != ET_DYN) {
    const char* kind = header.e_type == ET_EXEC   ? "an executable"
                       : header.e_type == ET_REL  ? "an object file"
                       : header.e_type == ET_CORE ? "a core dump"
                                                  : "an ELF file of unknown type";
    return std::string("is not an ELF shared library (it is ") + kind + ")";
  }
  // dlopen maps the segments the program headers name: one past the end of the file faults
  // (SIGBUS) when the loader touches it, so a truncated file is refused here.
  struct stat st {};
  if (fstat(fd, &st) != 0) return std::string("cannot be inspected");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (header.e_phentsize != sizeof(Phdr) || header.e_phoff + std::uint64_t{header.e_phnum} * sizeof(Phdr) > size) {
    return "is truncated or damaged (its program headers lie outside its " + std::to_string(size) + " bytes)";
  }
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Phdr segment;
    if (!read_at(fd, &segment, sizeof(segment), header.e_phoff + i * sizeof(Phdr))) {
      return std::string("is truncated (cannot read its program headers)");
    }
    if (segment.p_type == PT_LOAD && std::uint64_t{segment.p_offset} + segment.p_filesz > size) {
      return "is truncated (its segments need " + std::to_string(std::uint64_t{segment.p_offset} + segment.p_filesz) +
             " bytes, the file has " + std::to_string(size) + ")";
    }
  }
  return std::nullopt;
}

}  // namespace rh::host
