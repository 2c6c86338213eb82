#include "base/random.hpp"

#include <chrono>
#include <functional>
#include <thread>

namespace rh::host {
namespace {

std::uint64_t seed() noexcept {
  const auto t = static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  return t ^ (static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) << 1);
}

}  // namespace

std::uint64_t random_u64() noexcept {
  // Zero-initialised, so reaching it costs no thread-local initialisation guard: it is seeded
  // on first use instead (a seed of 0 would merely be seeded again).
  thread_local std::uint64_t state = 0;
  if (state == 0) state = seed();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double random_unit() noexcept { return static_cast<double>(random_u64() >> 11) * 0x1.0p-53; }

void append_random_hex(std::string& out, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t bits = random_u64();
  for (int i = 0; i < digits; ++i, bits >>= 4) out += hex[bits & 0xf];
}

}  // namespace rh::host
