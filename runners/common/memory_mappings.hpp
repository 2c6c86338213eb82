// The kernel's cap on one process's memory mappings (vm.max_map_count) and how many this
// process uses. Runners that spend a mapping or two per waiting task (fiber stacks with guard
// pages, oneTBB's coroutine stacks) size their budgets from these.
#pragma once

#include <fstream>
#include <string>

namespace rh_runners {

// vm.max_map_count, or the kernel's default (65,530) when /proc does not say.
inline long max_memory_mappings() {
  long max = 0;
  if (std::ifstream in("/proc/sys/vm/max_map_count"); in) in >> max;
  return max > 0 ? max : 65530;
}

// Mappings of this process right now (lines of /proc/self/maps), or -1 when unknown.
inline long memory_mappings_in_use() {
  std::ifstream maps("/proc/self/maps");
  if (!maps) return -1;
  long lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  return lines;
}

}  // namespace rh_runners
