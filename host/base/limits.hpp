// The bounds the host puts on what reaches it from outside the process: a config file,
// --params, the options a plugin declares. Each is documented (docs/config.md, "Limits"),
// and each stops an input from costing the process its stack, its memory or its timers.
#pragma once

#include <cstddef>
#include <string>

namespace rh::host {

// A JSON input larger than this is refused before it is parsed: a parsed document costs
// up to ~30 times its text in memory.
inline constexpr std::size_t kMaxJsonInputBytes = std::size_t{16} << 20;  // 16 MiB
inline constexpr const char* kMaxJsonInputText = "16 MiB";

// Containers nested deeper than this are refused while parsing: copying and printing a
// document recurse once per level, on stacks as small as a fiber's.
inline constexpr std::size_t kMaxJsonDepth = 64;

// The longest delay or timeout the host accepts, in seconds (30 days). Deadlines are int64
// nanoseconds on the monotonic clock, which a duration like 1e10 s saturates; 30 days is
// far from that, and longer than anything a run waits for inside one host process.
inline constexpr double kMaxDurationSeconds = 30.0 * 24 * 60 * 60;
inline constexpr const char* kMaxDurationText = "2592000 seconds (30 days)";

}  // namespace rh::host
