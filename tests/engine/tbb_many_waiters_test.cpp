// Many tbb tasks suspended at once on one slow run, below the runner's suspension budget
// (a quarter of vm.max_map_count). Past about twice that, oneTBB runs out of memory mappings
// for coroutine stacks and crashes (docs/runners.md); 40,000 here reproduces it.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace {

using rh::json;
using rh::testing::EngineHarness;

TEST(TbbManyWaiters, TwelveThousandTasksSuspendedOnOneSlowRunAllComplete) {
  constexpr int kWaiters = 12000;
  EngineHarness h("tbb", {{"max_workers", 2}});
  h.library().task("slow", [](rh::TaskContext& ctx) {
    ctx.sleep(std::chrono::milliseconds(500));
    return 7;
  });
  // Each waiter waits for the slow run through the task run waiter (it suspends: the run
  // has started, so it cannot be run in place).
  h.library().task("waiter", [](rh::TaskContext&, const json& p) -> json {
    const auto state = rh::TaskRunWaiter::instance().wait_for_task_run(p.at("id").get<std::uint64_t>());
    return state.has_value() ? 1 : 0;
  });
  h.library().flow("fan", [](rh::FlowContext& flow) -> json {
    rh::Future slow = flow.submit("slow");
    std::vector<rh::Future> waiters;
    waiters.reserve(kWaiters);
    for (int i = 0; i < kWaiters; ++i) waiters.push_back(flow.submit("waiter", {{"id", slow.run_id()}}));
    int sum = 0;
    for (const rh::Future& w : waiters) sum += w.result().get<int>();
    return sum;
  });
  auto scope = h.run_flow("fan");
  ASSERT_EQ(scope->flow_run()->state(), rh::host::StateId::Completed);
  EXPECT_EQ(scope->flow_run()->result(), std::to_string(kWaiters));
}

}  // namespace
