// The host's view of a runner's optional fields: inline_depth (ABI 1.1) is read only when the
// runner's table is large enough to hold it, and a 1.0 table means "never run in place";
// concurrency may be NULL.
#include "runtime/runner_link.hpp"

#include <gtest/gtest.h>

#include <cstddef>

namespace {

rh_runner_api table_answering(std::uint32_t depth_answer, std::uint32_t struct_size) {
  static std::uint32_t answer = 0;
  answer = depth_answer;
  rh_runner_api api{};
  api.struct_size = struct_size;
  api.inline_depth = [](rh_runner*) -> std::uint32_t { return answer; };
  return api;
}

TEST(RunnerLink, ReadsInlineDepthFromAnAbi11Runner) {
  const rh_runner_api api = table_answering(64, sizeof(rh_runner_api));
  const rh::host::RunnerLink link(&api, nullptr, "abi-1.1");
  EXPECT_EQ(link.inline_depth(), 64u);
}

TEST(RunnerLink, AnAbi10RunnerNeverRunsWorkInPlace) {
  // A 1.0 runner's table ends before inline_depth; whatever lies past it is not read.
  const rh_runner_api api = table_answering(64, offsetof(rh_runner_api, inline_depth));
  const rh::host::RunnerLink link(&api, nullptr, "abi-1.0");
  EXPECT_EQ(link.inline_depth(), 0u);
}

TEST(RunnerLink, ANullInlineDepthFunctionMeansZero) {
  rh_runner_api api{};
  api.struct_size = sizeof(rh_runner_api);
  const rh::host::RunnerLink link(&api, nullptr, "no-function");
  EXPECT_EQ(link.inline_depth(), 0u);
}

TEST(RunnerLink, ANullConcurrencyFunctionMeansUnknown) {
  rh_runner_api api{};
  api.struct_size = sizeof(rh_runner_api);
  const rh::host::RunnerLink link(&api, nullptr, "no-function");
  EXPECT_EQ(link.concurrency(), 0u);
}

}  // namespace
