// Freeing the end of a long dependency chain must not recurse once per hop: a run holds
// references to its upstreams, and the last release can happen on a small fiber stack.
#include "engine_harness.hpp"

#include <gtest/gtest.h>

#include <pthread.h>

#include <memory>

namespace {

using rh::json;
using rh::testing::EngineHarness;

// Runs fn on a thread with a 128 KiB stack: a recursive free of thousands of runs would
// overflow it, as it overflowed 64 KiB fiber stacks.
template <typename Fn>
void on_small_stack(Fn fn) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* arg) -> void* {
                  (*static_cast<Fn*>(arg))();
                  return nullptr;
                },
                &fn),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

TEST(LongChain, FreeingAChainOf20000RunsDoesNotRecursePerHop) {
  constexpr int kHops = 20000;
  EngineHarness h("sequential");
  h.library().task("hop", [] {});
  h.library().flow("chain", [](rh::FlowContext& flow) -> json {
    rh::Future prev = flow.submit("hop");
    for (int i = 1; i < kHops; ++i) prev = flow.submit("hop", json(), rh::wait_for({prev}));
    prev.wait();
    return prev.state().name;
  });
  std::unique_ptr<rh::host::RunScope> scope = h.run_flow("chain");
  ASSERT_EQ(scope->runs().size(), static_cast<std::size_t>(kHops));  // task runs; the flow run is apart
  for (const auto& run : scope->runs()) ASSERT_TRUE(run->done());
  // The scope holds the last references; dropping it frees the whole chain on this stack.
  on_small_stack([&scope] { scope.reset(); });
  EXPECT_EQ(scope, nullptr);
}

}  // namespace
