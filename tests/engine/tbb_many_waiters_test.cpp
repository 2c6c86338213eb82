// Far more tbb tasks waiting at once than oneTBB has room for coroutine stacks (each costs
// two of vm.max_map_count's mappings; without a bound, about 40,000 crashed inside oneTBB).
// The runner parks items that have not started once a quarter of the limit is suspended,
// and starts them as stacks are freed (docs/runners.md, "tbb"); these runs all complete.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace {

using rh::json;
using rh::testing::EngineHarness;

// Each waiter waits for the slow run through the task run waiter, which suspends it: a
// run that has started cannot be run in place.
void add_waiter_task(EngineHarness& h) {
  h.library().task("waiter", [](rh::TaskContext&, const json& p) -> json {
    const auto state = rh::TaskRunWaiter::instance().wait_for_task_run(p.at("id").get<std::uint64_t>());
    return state.has_value() ? 1 : 0;
  });
}

TEST(TbbManyWaiters, AHundredThousandTasksWaitingOnOneSlowRunAllComplete) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "each suspended task runs as a TSan fiber, and TSan has 8,128 thread slots (docs/sanitizers.md)";
#elif defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the ASan build looks each resumed task's stack up in /proc/self/maps, which tens of thousands "
                  "of coroutine stacks make slow (docs/sanitizers.md)";
#endif
  constexpr int kWaiters = 100000;
  EngineHarness h("tbb", {{"max_workers", 2}});
  h.library().task("slow", [](rh::TaskContext& ctx) {
    ctx.sleep(std::chrono::milliseconds(500));
    return 7;
  });
  add_waiter_task(h);
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
  ASSERT_EQ(scope->flow_run()->state(), rh::host::StateId::Completed)
      << scope->flow_run()->message(scope->flow_run()->current());
  EXPECT_EQ(scope->flow_run()->result(), std::to_string(kWaiters));
}

// Parents that each wait (through the waiter, so never in place) for a child they submit:
// past the budget a parent may be suspended waiting for a child that is parked, which only
// the runner's watchdog or another run's progress starts.
TEST(TbbManyWaiters, FortyThousandParentsWaitingOnTheirOwnChildrenAllComplete) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "each suspended task runs as a TSan fiber, and TSan has 8,128 thread slots (docs/sanitizers.md)";
#elif defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the ASan build looks each resumed task's stack up in /proc/self/maps, which tens of thousands "
                  "of coroutine stacks make slow (docs/sanitizers.md)";
#endif
  constexpr int kParents = 40000;
  EngineHarness h("tbb", {{"max_workers", 2}});
  h.library().task("child", [](rh::TaskContext& ctx) {
    ctx.sleep(std::chrono::milliseconds(1));
    return 1;
  });
  h.library().task("parent", [](rh::TaskContext& ctx) -> json {
    rh::Future child = ctx.submit("child");
    const auto state = rh::TaskRunWaiter::instance().wait_for_task_run(child.run_id());
    return state.has_value() && child.result().get<int>() == 1 ? 1 : 0;
  });
  h.library().flow("tree", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> parents;
    parents.reserve(kParents);
    for (int i = 0; i < kParents; ++i) parents.push_back(flow.submit("parent"));
    int sum = 0;
    for (const rh::Future& p : parents) sum += p.result().get<int>();
    return sum;
  });
  auto scope = h.run_flow("tree");
  ASSERT_EQ(scope->flow_run()->state(), rh::host::StateId::Completed)
      << scope->flow_run()->message(scope->flow_run()->current());
  EXPECT_EQ(scope->flow_run()->result(), std::to_string(kParents));
}

}  // namespace
