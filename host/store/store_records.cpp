#include "store/store_records.hpp"

#include "base/random.hpp"

#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace rh::host {
namespace {

// A UUID as two 64-bit halves, most significant first (RFC 9562 byte order).
struct Uuid128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
};

constexpr std::uint64_t kLow62 = (std::uint64_t{1} << 62) - 1;
constexpr std::uint64_t kVariantBits = std::uint64_t{1} << 63;  // 0b10: the RFC 4122 variant

std::string to_text(Uuid128 uuid) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string text(36, '-');
  int nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    const std::uint64_t half = nibble < 16 ? uuid.high : uuid.low;
    const int shift = 60 - 4 * (nibble % 16);
    text[i] = hex[(half >> shift) & 0xf];
    ++nibble;
  }
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Uuid128 parse(const std::string& text) {
  Uuid128 uuid;
  bool ok = text.size() == 36;
  int nibble = 0;
  for (std::size_t i = 0; ok && i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = text[i] == '-';
      continue;
    }
    const int value = hex_value(text[i]);
    ok = value >= 0;
    std::uint64_t& half = nibble < 16 ? uuid.high : uuid.low;
    half = (half << 4) | static_cast<std::uint64_t>(value & 0xf);
    ++nibble;
  }
  if (!ok) throw std::invalid_argument("not a flow run id (a UUID): '" + text + "'");
  return uuid;
}

// A bijection of [0, 2^62): xor-shifts and multiplications by odd constants, each invertible
// modulo 2^62 (the splitmix64 finalizer cut to 62 bits). Consecutive run numbers thereby
// give ids that differ in many digits, so a short prefix tells task runs apart.
std::uint64_t permute62(std::uint64_t x) {
  x &= kLow62;
  x ^= x >> 31;
  x = (x * 0xbf58476d1ce4e5b9ULL) & kLow62;
  x ^= x >> 29;
  x = (x * 0x94d049bb133111ebULL) & kLow62;
  x ^= x >> 32;
  return x;
}

}  // namespace

std::string task_run_uuid(const std::string& flow_run_id, std::uint64_t run_no) {
  Uuid128 uuid = parse(flow_run_id);
  // Time and rand_a stay the flow run's; version 8 ("custom") because the rest is derived.
  uuid.high = (uuid.high & ~std::uint64_t{0xf000}) | 0x8000;
  // XOR with a constant and permute62 are both bijections, so for one flow run distinct
  // run numbers below 2^62 give distinct ids (the engine's run ids are far smaller).
  uuid.low = kVariantBits | ((uuid.low ^ permute62(run_no)) & kLow62);
  return to_text(uuid);
}

std::string new_flow_run_uuid() {
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  // random_u64 is a per-thread stream seeded from the clock and the thread; the process id
  // mixed in keeps two processes seeded in the same nanosecond (same thread handle values
  // are common across processes) apart.
  const std::uint64_t pid_bits = static_cast<std::uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ULL;
  const std::uint64_t rand_a = random_u64();
  const std::uint64_t rand_b = random_u64() ^ pid_bits;
  Uuid128 uuid;
  uuid.high = ((ms & 0xffffffffffffULL) << 16) | 0x7000 | (rand_a & 0xfff);
  uuid.low = kVariantBits | (rand_b & kLow62);
  return to_text(uuid);
}

}  // namespace rh::host
