// Where runner-host-worker is: it ships beside the runner plugins that spawn it (process,
// and mpi with isolate). Inline on purpose: each plugin's copy finds its own file.
#pragma once

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace rh::remote {

inline std::string default_worker_program() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&default_worker_program), &info) == 0 || info.dli_fname == nullptr) {
    throw std::runtime_error("cannot tell where the runner plugin was loaded from");
  }
  std::string path = info.dli_fname;
  const std::size_t slash = path.rfind('/');
  return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/runner-host-worker";
}

}  // namespace rh::remote
