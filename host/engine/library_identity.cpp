#include "engine/library_identity.hpp"

#include "base/sha256.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace rh::host {
namespace {

struct Search {
  std::uintptr_t address;
  std::string build_id;
  bool found_object = false;
};

bool holds(const dl_phdr_info& object, std::uintptr_t address) {
  for (int i = 0; i < object.dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = object.dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    const std::uintptr_t start = object.dlpi_addr + segment.p_vaddr;
    if (address >= start && address < start + segment.p_memsz) return true;
  }
  return false;
}

// The NT_GNU_BUILD_ID note among the object's PT_NOTE segments, as hex.
std::string build_id_of(const dl_phdr_info& object) {
  for (int i = 0; i < object.dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = object.dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const auto* at = reinterpret_cast<const unsigned char*>(object.dlpi_addr + segment.p_vaddr);
    const unsigned char* end = at + segment.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof note);
      const unsigned char* name = at + sizeof note;
      const unsigned char* desc = name + ((note.n_namesz + 3) & ~3u);
      const unsigned char* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        return hex_of(desc, note.n_descsz);
      }
      at = next;
    }
  }
  return {};
}

int visit(dl_phdr_info* object, std::size_t, void* data) {
  auto& search = *static_cast<Search*>(data);
  if (!holds(*object, search.address)) return 0;
  search.found_object = true;
  search.build_id = build_id_of(*object);
  return 1;
}

}  // namespace

std::string library_identity_of(const void* function_address) {
  Search search{reinterpret_cast<std::uintptr_t>(function_address), {}};
  dl_iterate_phdr(&visit, &search);
  if (!search.build_id.empty()) return "build-id:" + search.build_id;
  Dl_info info{};
  if (dladdr(function_address, &info) == 0 || info.dli_fname == nullptr || *info.dli_fname == '\0') return {};
  const int fd = ::open(info.dli_fname, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string digest;
  try {
    digest = "sha256:" + sha256_hex_of_fd(fd);
  } catch (const DigestError&) {
    // unreadable: no identity
  }
  ::close(fd);
  return digest;
}

}  // namespace rh::host
