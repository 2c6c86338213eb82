// The raw primitives every engine figure is compared with: a plain function call, a oneTBB
// task_group inside a task_arena of the same worker count, and Boost.Fiber create + join on
// small pooled stacks (what the fiber runner does per work item).
#pragma once

#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <boost/fiber/all.hpp>

#include <cstdint>
#include <thread>
#include <vector>

namespace rh::bench {

// An empty function the compiler cannot inline or drop.
[[gnu::noinline]] inline void raw_noop() { benchmark::ClobberMemory(); }

// The fiber runner's default stack size.
inline constexpr std::size_t kFiberStackBytes = 64 * 1024;

// Runs `count` items split over `threads` OS threads; each item is a new fiber started at
// once (launch::dispatch) on a pooled stack and joined, as the fiber runner starts work.
template <class Item>
void fibers_on_threads(int threads, std::int64_t count, Item item) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    const std::int64_t begin = count * t / threads;
    const std::int64_t end = count * (t + 1) / threads;
    pool.emplace_back([begin, end, &item] {
      boost::fibers::pooled_fixedsize_stack stacks(kFiberStackBytes);
      for (std::int64_t i = begin; i < end; ++i) {
        boost::fibers::fiber(boost::fibers::launch::dispatch, std::allocator_arg, stacks, [i, &item] {
          item(i);
        }).join();
      }
    });
  }
  for (std::thread& t : pool) t.join();
}

// A task_arena with `workers` threads in all: the calling thread joins it in execute().
class RawArena {
 public:
  explicit RawArena(int workers) : arena_(workers) { arena_.initialize(); }
  template <class Fn>
  void execute(Fn&& fn) {
    arena_.execute(std::forward<Fn>(fn));
  }

 private:
  tbb::task_arena arena_;
};

}  // namespace rh::bench
