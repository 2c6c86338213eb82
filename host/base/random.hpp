// Cheap per-thread randomness for run names and retry jitter (not for anything secret).
#pragma once

#include <cstdint>
#include <string>

namespace rh::host {

// Uniform 64-bit value from a per-thread splitmix64 stream seeded from the clock and thread.
std::uint64_t random_u64() noexcept;
// Uniform in [0, 1).
double random_unit() noexcept;
// Appends `digits` lowercase hex digits.
void append_random_hex(std::string& out, int digits);

}  // namespace rh::host
