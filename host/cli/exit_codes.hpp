// What runner-host's exit status means (docs/cli.md).
#pragma once

namespace rh::host {

inline constexpr int kExitOk = 0;             // every run completed
inline constexpr int kExitRunFailed = 1;      // some run failed, crashed, timed out, was cancelled or not ready
inline constexpr int kExitUsage = 2;          // bad usage, config, parameters or plugin
inline constexpr int kExitInterrupted = 130;  // stopped by SIGINT/SIGTERM (128 + SIGINT)

}  // namespace rh::host
