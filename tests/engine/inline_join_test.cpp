// A worker that waits, without a deadline, for a run nobody has started yet runs it in place
// (the runner's inline_depth allows it: tbb does, fiber and sequential do not). Observable
// through stack addresses: the child's frame lies just below the waiting parent's on the same
// stack, instead of on a coroutine or fiber stack of its own.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace {

using rh::json;
using rh::testing::EngineHarness;

std::atomic<std::uintptr_t> g_parent_frame{0};
std::atomic<std::uintptr_t> g_child_frame{0};

std::uintptr_t frame_address() {
  volatile char marker = 0;
  return reinterpret_cast<std::uintptr_t>(&marker);
}

// Whether the child's frame lies less than 32 KiB below the parent's: nested calls on one
// stack. Separate stacks are further apart, even when adjacent in memory: fiber stacks are
// 64 KiB by default and tbb's coroutine stacks 4 MiB, with each frame near its stack's top.
bool child_nested_in_parent() {
  const std::uintptr_t parent = g_parent_frame.load();
  const std::uintptr_t child = g_child_frame.load();
  return child != 0 && child < parent && parent - child < 32 * 1024;
}

void declare(EngineHarness& h) {
  h.library().task("child", [] {
    g_child_frame = frame_address();
    return 1;
  });
  h.library().task("parent", [](rh::TaskContext& ctx, const json& p) -> json {
    g_parent_frame = frame_address();
    rh::Future child = ctx.submit("child");
    if (p.value("timed", false)) return child.result(std::chrono::seconds(30));
    return child.result();
  });
}

// One worker: nobody can take the child before the parent waits for it.
const json kOneWorker = {{"max_workers", 1}};

TEST(InlineJoin, TbbRunsAnUnstartedChildOnTheWaitingParentsStack) {
  EngineHarness h("tbb", kOneWorker);
  declare(h);
  g_parent_frame = 0;
  g_child_frame = 0;
  auto scope = h.run_task("parent");
  ASSERT_EQ(scope->runs().at(0)->state(), rh::host::StateId::Completed);
  EXPECT_EQ(scope->runs().at(0)->result(), "1");
  EXPECT_TRUE(child_nested_in_parent()) << std::hex << "parent frame " << g_parent_frame << ", child frame "
                                        << g_child_frame;
}

TEST(InlineJoin, ATimedWaitSuspendsInsteadSoItCanEndAtItsDeadline) {
  EngineHarness h("tbb", kOneWorker);
  declare(h);
  g_parent_frame = 0;
  g_child_frame = 0;
  auto scope = h.run_task("parent", {{"timed", true}});
  ASSERT_EQ(scope->runs().at(0)->state(), rh::host::StateId::Completed);
  EXPECT_NE(g_child_frame.load(), 0u);
  EXPECT_FALSE(child_nested_in_parent()) << std::hex << "parent frame " << g_parent_frame << ", child frame "
                                         << g_child_frame;
}

TEST(InlineJoin, FiberRunnerNeverNestsRunsOnItsSmallStacks) {
  EngineHarness h("fiber", kOneWorker);
  declare(h);
  g_parent_frame = 0;
  g_child_frame = 0;
  auto scope = h.run_task("parent");
  ASSERT_EQ(scope->runs().at(0)->state(), rh::host::StateId::Completed);
  EXPECT_NE(g_child_frame.load(), 0u);
  EXPECT_FALSE(child_nested_in_parent()) << std::hex << "parent frame " << g_parent_frame << ", child frame "
                                         << g_child_frame;
}

// Deeper than the 64 levels tbb allows: past the limit the waiter suspends, and all completes.
TEST(InlineJoin, NestingPastTheDepthLimitStillCompletes) {
  EngineHarness h("tbb", kOneWorker);
  h.library().task("depth", [](rh::TaskContext& ctx, const json& p) -> json {
    const int n = p.at("n").get<int>();
    if (n == 0) return 0;
    return ctx.submit("depth", {{"n", n - 1}}).result().get<int>() + 1;
  });
  auto scope = h.run_task("depth", {{"n", 200}});
  ASSERT_EQ(scope->runs().size(), 201u);
  for (const auto& run : scope->runs()) ASSERT_EQ(run->state(), rh::host::StateId::Completed) << run->name();
  EXPECT_EQ(scope->runs().at(0)->result(), "200");
}

}  // namespace
