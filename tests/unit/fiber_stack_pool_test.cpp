// The fiber runner's stacks (runners/fiber/pooled_stack.hpp), tested without a runner: many
// stacks cost few kernel mappings, every guard scheme catches an overflow, freed stacks are
// reused and their memory can be given back, and running out of stacks is an answer, not an
// exception.
#include "pooled_stack.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

using rh_fiber::Guard;
using rh_fiber::GuardPolicy;
using rh_fiber::Stack;
using rh_fiber::StackCache;
using rh_fiber::StackPool;

constexpr std::size_t kStackSize = 64 * 1024;

long mappings() { return rh_runners::memory_mappings_in_use(); }
long max_mappings() { return rh_runners::max_memory_mappings(); }

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The lowest byte a fiber may use; the guard page (if any) is the page below it.
char* bottom_of(const Stack& stack) { return stack.top - kStackSize; }

std::vector<Stack> allocate(StackCache& cache, std::size_t count) {
  std::vector<Stack> stacks(count);
  for (Stack& stack : stacks) EXPECT_TRUE(cache.try_allocate(stack));
  return stacks;
}

TEST(FiberStackPool, StacksAreDistinctAlignedAndWritableEndToEnd) {
  StackPool pool(kStackSize);
  StackCache cache(pool);
  const std::vector<Stack> stacks = allocate(cache, 300);
  std::set<char*> tops;
  for (const Stack& stack : stacks) {
    tops.insert(stack.top);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(stack.top) % rh_fiber::detail::page_size(), 0u);
    // Canary stacks keep their lowest 16 bytes for the canary.
    char* low = stack.guard == Guard::kCanary ? bottom_of(stack) + 16 : bottom_of(stack);
    std::memset(low, 0x5a, 64);
    std::memset(stack.top - 4096, 0xa5, 4096);
  }
  EXPECT_EQ(tops.size(), stacks.size());
  for (const Stack& stack : stacks) cache.deallocate(stack);
}

// The old allocator made two mappings per stack, and the process died past ~32,000 of them.
TEST(FiberStackPool, FortyThousandStacksStayFarBelowTheMappingLimit) {
  for (GuardPolicy policy : {GuardPolicy::kAny, GuardPolicy::kNoMarkers}) {
    const long before = mappings();
    ASSERT_GT(before, 0);
    StackPool pool(kStackSize, policy);
    StackCache cache(pool);
    const std::vector<Stack> stacks = allocate(cache, 40000);
    const long grown = mappings() - before;
    // mprotect guards may use half of what was free; marker guards and canaries use none.
    EXPECT_LE(grown, (max_mappings() - before) / 2 + 1000) << "policy " << static_cast<int>(policy);
    if (policy == GuardPolicy::kAny && rh_fiber::detail::guard_markers_supported()) {
      EXPECT_LT(grown, 1000);
    }
    for (const Stack& stack : stacks) cache.deallocate(stack);
  }
}

TEST(FiberStackPool, FreedStacksAreReusedNewestFirstWithoutNewSlabs) {
  StackPool pool(kStackSize);
  StackCache cache(pool);
  std::vector<Stack> stacks = allocate(cache, 1000);
  const std::size_t carved = pool.stacks_carved();
  const std::size_t slabs = pool.slab_count();
  EXPECT_LT(slabs, 10u);
  char* last = stacks.back().top;
  for (const Stack& stack : stacks) cache.deallocate(stack);
  Stack again;
  ASSERT_TRUE(cache.try_allocate(again));
  EXPECT_EQ(again.top, last);
  cache.deallocate(again);
  stacks = allocate(cache, 1000);
  EXPECT_EQ(pool.stacks_carved(), carved);
  EXPECT_EQ(pool.slab_count(), slabs);
  for (const Stack& stack : stacks) cache.deallocate(stack);
}

// A stack limit stands for memory or mappings running out: the answer is "not now", never an
// exception, and a stack given back anywhere serves the worker that went without.
TEST(FiberStackPool, RunningOutIsAnAnswerAndAFreedStackReachesTheStarvedCache) {
  StackPool pool(kStackSize, GuardPolicy::kAny, /*max_stacks=*/100);
  StackCache busy(pool);
  StackCache starved(pool);
  std::vector<Stack> stacks;
  Stack stack;
  while (busy.try_allocate(stack)) stacks.push_back(stack);
  EXPECT_EQ(stacks.size(), 100u);
  EXPECT_FALSE(starved.try_allocate(stack));
  EXPECT_TRUE(pool.starving());
  busy.deallocate(stacks.back());  // kept by `busy` unless it hands it on
  stacks.pop_back();
  ASSERT_TRUE(starved.try_allocate(stack));
  starved.deallocate(stack);
  for (const Stack& s : stacks) busy.deallocate(s);
}

TEST(FiberStackPool, IdleStacksGiveTheirMemoryBackAndStayUsable) {
  StackPool pool(kStackSize);
  StackCache cache(pool);
  std::vector<Stack> stacks = allocate(cache, 4000);
  const std::size_t carved = pool.stacks_carved();
  for (const Stack& stack : stacks) std::memset(stack.top - 16 * 1024, 1, 16 * 1024);  // 64 MiB resident
  for (const Stack& stack : stacks) cache.deallocate(stack);
  const long before = rss_kib();
  EXPECT_TRUE(pool.worth_releasing(100));
  pool.release_idle(100);
  EXPECT_FALSE(pool.worth_releasing(100));
  EXPECT_LT(rss_kib(), before - 40 * 1024);  // at least 40 of the 64 MiB went back
  // The same stacks come back: released ones read as fresh zero pages, the kept ones (100 in
  // the pool, up to 128 in the cache) as before.
  stacks = allocate(cache, 4000);
  int fresh = 0;
  for (const Stack& stack : stacks) {
    EXPECT_TRUE(stack.top[-1] == 0 || stack.top[-1] == 1);
    fresh += stack.top[-1] == 0 ? 1 : 0;
    std::memset(stack.top - 16 * 1024, 2, 16 * 1024);
  }
  EXPECT_GE(fresh, 4000 - 100 - 128);
  EXPECT_EQ(pool.stacks_carved(), carved);
  for (const Stack& stack : stacks) cache.deallocate(stack);
}

// Writes one byte just below a stack's usable range, as an overflowing fiber would.
void overflow(GuardPolicy policy) {
  StackPool pool(kStackSize, policy);
  StackCache cache(pool);
  Stack stack;
  if (!cache.try_allocate(stack)) std::_Exit(3);
  volatile char* below = bottom_of(stack) - 1;
  // The kernel's fault is what this checks: a sanitizer's SIGSEGV handler would turn it into a
  // report and exit code 66.
  std::signal(SIGSEGV, SIG_DFL);
  *below = 1;
  if (stack.guard == Guard::kCanary) std::_Exit(4);  // no guard page here: not this test's case
  std::_Exit(0);
}

TEST(FiberStackPoolDeathTest, AGuardPageStopsAnOverflow) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(overflow(GuardPolicy::kAny), ::testing::KilledBySignal(SIGSEGV), "");
  // In a fresh process the mprotect budget is untouched, so the first stack is guarded.
  EXPECT_EXIT(overflow(GuardPolicy::kNoMarkers), ::testing::KilledBySignal(SIGSEGV), "");
}

void clobber_canary() {
  StackPool pool(kStackSize, GuardPolicy::kCanaryOnly);
  StackCache cache(pool);
  Stack stack;
  if (!cache.try_allocate(stack) || stack.guard != Guard::kCanary) std::_Exit(3);
  std::memset(bottom_of(stack), 0, 8);
  cache.deallocate(stack);
  std::_Exit(0);
}

TEST(FiberStackPoolDeathTest, AClobberedCanaryAbortsAndNamesTheOption) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(clobber_canary(), "a fiber overflowed its 64 KiB stack .*raise the runner option 'stack_size_kib'");
}

TEST(FiberStackPool, AnIntactCanaryPasses) {
  StackPool pool(kStackSize, GuardPolicy::kCanaryOnly);
  StackCache cache(pool);
  for (int round = 0; round < 3; ++round) {
    std::vector<Stack> stacks = allocate(cache, 200);
    for (const Stack& stack : stacks) {
      EXPECT_EQ(stack.guard, Guard::kCanary);
      std::memset(bottom_of(stack) + 16, 0x77, kStackSize - 16);  // everything but the canary
    }
    for (const Stack& stack : stacks) cache.deallocate(stack);
  }
}

}  // namespace
