// The fiber runner's stacks at scale: more runs waiting at once than the old one-mapping-pair
// per stack allocator could hold (it died at ~32,000), and runs that wait for a stack when the
// address space runs out instead of taking the process down.
#include "runner_params.hpp"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace rh::testing {
namespace {

using json = nlohmann::json;

// Highest value `inside` reached.
struct Most {
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  int enter() {
    const int now = ++inside;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    return now;
  }
};

// Every run waits until all of them are inside, so all their fibers and stacks exist at once.
TEST(FiberRunnerStacks, FortyThousandRunsWaitAtOnce) {
#if defined(__SANITIZE_THREAD__)
  // TSan gives every fiber a thread slot of its own (docs/sanitizers.md) and a process at most
  // 8,128 of them: 40,000 fibers alive at once cannot exist under it. ASan and Release run it.
  GTEST_SKIP() << "needs more fibers at once than TSan has thread slots";
#endif
  constexpr int kRuns = 40000;
  EngineHarness h("fiber", json{{"max_workers", 2}});
  Most most;
  rh::Event all_inside;
  h.library().task("meet", [&](rh::TaskContext&) {
    if (most.enter() == kRuns) all_inside.set();
    all_inside.wait();
  });
  h.library().flow("crowd", [](rh::FlowContext& flow) -> json {
    for (int i = 0; i < kRuns; ++i) flow.submit("meet");
    return kRuns;
  });
  auto scope = h.run_flow("crowd");
  EXPECT_EQ(scope->flow_run()->state(), host::StateId::Completed);
  EXPECT_EQ(most.most.load(), kRuns);
  for (const host::RunRef& run : scope->runs()) ASSERT_EQ(run->state(), host::StateId::Completed) << run->id();
}

long vm_size_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmSize:", 0) == 0) return std::stol(line.substr(7));
  }
  return -1;
}

// In a child process: 4,000 sleeping runs with address space for fewer than 1,000 stacks.
// Exits 0 when all completed and fewer were ever alive at once (the limit did bite).
void sleep_under_an_address_space_limit() {
  constexpr int kRuns = 4000;
  EngineHarness h("fiber", json{{"max_workers", 2}});
  Most most;
  h.library().task("nap", [&](rh::TaskContext& ctx) {
    most.enter();
    ctx.sleep(std::chrono::milliseconds(20));
    --most.inside;
  });
  h.library().flow("naps", [](rh::FlowContext& flow, const json& p) -> json {
    const int n = p.at("n").get<int>();
    for (int i = 0; i < n; ++i) flow.submit("nap");
    return n;
  });
  // Threads, malloc arenas and the first stacks exist before the limit.
  if (h.run_flow("naps", {{"n", 20}})->flow_run()->state() != host::StateId::Completed) std::_Exit(2);
  most.most = 0;
  const rlim_t limit = static_cast<rlim_t>(vm_size_kib() + 64 * 1024) * 1024;
  const rlimit rl{limit, limit};
  if (setrlimit(RLIMIT_AS, &rl) != 0) std::_Exit(3);
  auto scope = h.run_flow("naps", {{"n", kRuns}});
  for (const host::RunRef& run : scope->runs()) {
    if (run->state() != host::StateId::Completed) {
      std::fprintf(stderr, "run %llu ended %s\n", static_cast<unsigned long long>(run->id()),
                   std::string(host::state_name(run->state())).c_str());
      std::_Exit(4);
    }
  }
  if (scope->runs().size() != static_cast<std::size_t>(kRuns)) std::_Exit(5);
  if (most.most.load() >= kRuns) std::_Exit(6);  // never short of stacks: the test proved nothing
  std::_Exit(0);
}

TEST(FiberRunnerStacksDeathTest, RunsWaitForAStackWhenAddressSpaceRunsOut) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve terabytes of address space: RLIMIT_AS cannot stand for running out";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(sleep_under_an_address_space_limit(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace rh::testing
