// What the store tests of tests/cli share: the store opened as `runner-host runs` opens it,
// and how often a task of the store tasks' library really executed.
#pragma once

#include "cli_support.hpp"

#include "store/store.hpp"

#include <cstddef>
#include <string>

namespace rh::testing {

// Read only: never creates, migrates or locks the store.
inline host::StoreOptions reading(const std::string& path) {
  host::StoreOptions options;
  options.path = path;
  options.read_only = true;
  return options;
}

// How many lines of the run log `log` (written by the store tasks) equal `line`: how often
// that run really executed.
inline std::size_t executions(const std::string& log, const std::string& line) {
  std::size_t n = 0;
  for (const std::string& l : lines_of(read_file(log))) n += l == line ? 1 : 0;
  return n;
}

}  // namespace rh::testing
