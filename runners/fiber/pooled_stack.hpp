// Fiber stacks for the fiber runner: carved out of large slabs, guarded, reused, and never
// thrown for.
//
// Why not one mmap per stack, as Boost.Context's protected_fixedsize_stack does: every stack
// is then two kernel mappings (the stack, and the PROT_NONE guard page below it), Linux caps a
// process at vm.max_map_count mappings (65,530 by default), so about 32,000 live fibers used
// them all up and allocate() threw std::bad_alloc out of a worker thread (std::terminate).
// Making and freeing a stack was also an mmap + mprotect and a munmap, which dominated
// workloads of many short fibers.
//
// What this does instead:
// - Address space comes in slabs, one mmap for many stacks (16 at first, doubling up to
//   kMaxSlabBytes), so the number of mappings no longer grows with the number of fibers.
// - Every stack gets a guard page below it in the cheapest way that keeps mappings few:
//   1. MADV_GUARD_INSTALL (Linux 6.13+) puts a guard marker in the page table: no new mapping
//      at all, so every stack is guarded whatever their number.
//   2. Older kernels: mprotect(PROT_NONE), which splits the slab's mapping (up to two more
//      mappings per stack), so only while a process-wide budget lasts: a quarter of the
//      mappings still free under vm.max_map_count when the first pool is made (two per guard
//      is half of them; the other half stays for malloc, threads, libraries and the host).
//   3. Past that budget, or if both calls fail: no guard page, but a canary in the stack's
//      lowest bytes, written when the stack is handed out and checked when it comes back, so an
//      overflow becomes an abort that names the cause instead of silent corruption of the stack
//      below. (It makes one more page of the stack resident: the price of a check without a
//      mapping.)
// - A freed stack is not unmapped while the runner lives. It goes to its worker's StackCache
//   (no lock; last in, first out, so the next fiber runs on pages that are still resident and
//   in cache), and caches trade stacks with the shared StackPool in batches, so workers
//   rebalance at the cost of one lock per batch. When the runner goes idle, free stacks beyond
//   a reserve give their pages back to the kernel (MADV_DONTNEED over address-ordered runs of
//   stacks, a few calls for thousands of stacks): a burst of 100,000 fibers does not stay
//   resident for the rest of the process.
// - Nothing here throws for lack of memory or mappings: when no stack can be had, the cache's
//   try_allocate() returns false and the runner keeps the work queued until a fiber ends and
//   gives its stack back (backpressure).
#pragma once

#include <boost/context/stack_context.hpp>

#include "memory_mappings.hpp"
#include "sanitizer_fibers.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace rh_fiber {

// How an overflow of a stack is caught.
enum class Guard : std::uint8_t {
  kMarker,     // a MADV_GUARD_INSTALL page below the stack
  kProtected,  // a PROT_NONE page below the stack (a mapping of its own)
  kCanary,     // no guard page: a canary at the bottom, checked when the stack comes back
};

// Which guards a pool may use, best first. The runner uses kAny; tests force the fallbacks.
enum class GuardPolicy { kAny, kNoMarkers, kCanaryOnly };

struct Stack {
  char* top = nullptr;  // highest address; the stack grows down from here
  Guard guard = Guard::kCanary;
};

namespace detail {

// From <linux/mman.h> of Linux 6.13; Debian 12's headers predate it.
constexpr int kMadvGuardInstall = 102;

inline std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// Probed once: an older kernel answers EINVAL for the unknown advice.
inline bool guard_markers_supported() {
  static const bool supported = [] {
    const std::size_t page = page_size();
    void* probe = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) return false;
    const bool ok = ::madvise(probe, page, kMadvGuardInstall) == 0;
    ::munmap(probe, 2 * page);
    return ok;
  }();
  return supported;
}

// Guard pages that mprotect may still make in this process (see the top of this file).
inline std::atomic<long>& protected_guard_budget() {
  static std::atomic<long> budget{[] {
    const long max = rh_runners::max_memory_mappings();
    long used = rh_runners::memory_mappings_in_use();
    if (used < 0) used = max / 2;  // unknown: assume half is taken
    return max > used ? (max - used) / 4 : 0;
  }()};
  return budget;
}

}  // namespace detail

// The stacks of one runner, shared by its workers (through their StackCaches). Thread-safe.
class StackPool {
 public:
  // stack_size: usable bytes of each stack (rounded up to whole pages). max_stacks: how many
  // stacks may exist at once, 0 for as many as the kernel gives (tests set a cap).
  explicit StackPool(std::size_t stack_size, GuardPolicy policy = GuardPolicy::kAny, std::size_t max_stacks = 0)
      : page_(detail::page_size()),
        stack_size_((stack_size + page_ - 1) / page_ * page_),
        stride_(stack_size_ + page_),
        policy_(policy),
        max_stacks_(max_stacks) {}

  // Every stack must be back (the runner destroys its pool after joining the workers, whose
  // exit frees their last fibers).
  ~StackPool() {
    for (const Slab& slab : slabs_) ::munmap(slab.base, slab.bytes);
    detail::protected_guard_budget().fetch_add(protected_.load());
  }

  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  std::size_t stack_size() const { return stack_size_; }

  // Writes up to `want` stacks to out[] and returns how many: free ones first, else newly
  // carved ones. 0 when none can be had (address space or mappings exhausted, or max_stacks
  // reached); never throws.
  std::size_t take(Stack* out, std::size_t want) noexcept {
    std::size_t got = 0;
    char* fresh = nullptr;
    std::size_t fresh_count = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (got < want && !free_.empty()) {
        out[got++] = free_.back();
        free_.pop_back();
      }
      released_ = std::min(released_, free_.size());
      unreleased_.store(free_.size() - released_, std::memory_order_relaxed);
      // Carve only when nothing is free, so the pool grows only to the most stacks ever in use.
      if (got == 0) fresh_count = carve_locked(want, fresh);
    }
    // Outside the lock: installing a guard is a system call per stack.
    for (std::size_t i = 0; i < fresh_count; ++i) {
      char* slot = fresh + i * stride_;
      out[got++] = Stack{slot + stride_, install_guard(slot)};
    }
    if (got == 0) {
      starving_.store(true, std::memory_order_relaxed);
    }
    return got;
  }

  // Takes back `count` stacks. Never allocates: free_ has room for every stack ever carved.
  void give(const Stack* stacks, std::size_t count) noexcept {
    if (count == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    free_.insert(free_.end(), stacks, stacks + count);
    unreleased_.store(free_.size() - released_, std::memory_order_relaxed);
    starving_.store(false, std::memory_order_relaxed);
  }

  // Set while some worker found no stack: caches then hand back every stack they free, so
  // the starving worker gets them however the stacks are spread.
  bool starving() const noexcept { return starving_.load(std::memory_order_relaxed); }

  // Whether release_idle(keep) has anything to do: a lock-free hint, cheap enough to ask
  // every time a worker runs out of fibers.
  bool worth_releasing(std::size_t keep) const noexcept { return unreleased_.load(std::memory_order_relaxed) > keep; }

  // Gives the pages of free stacks beyond the `keep` most recently freed back to the kernel.
  // Their address space and guards stay; a later fiber on them faults fresh zero pages in.
  // Called when the runner goes idle.
  void release_idle(std::size_t keep) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() <= keep) return;
    const std::size_t end = free_.size() - keep;
    if (end <= released_) return;  // free_[0, released_) gave their pages back already
    // In address order, neighbouring slots (guard page included) make one range, so a slab
    // of free stacks is one call whatever its size.
    std::sort(free_.begin() + static_cast<std::ptrdiff_t>(released_), free_.begin() + static_cast<std::ptrdiff_t>(end),
              [](const Stack& a, const Stack& b) { return a.top < b.top; });
    char* run_begin = nullptr;
    char* run_end = nullptr;
    for (std::size_t i = released_; i < end; ++i) {
      char* slot = free_[i].top - stride_;
      if (slot != run_end) {
        if (run_begin != nullptr) ::madvise(run_begin, static_cast<std::size_t>(run_end - run_begin), MADV_DONTNEED);
        run_begin = slot;
      }
      run_end = free_[i].top;
    }
    if (run_begin != nullptr) ::madvise(run_begin, static_cast<std::size_t>(run_end - run_begin), MADV_DONTNEED);
    released_ = end;
    unreleased_.store(free_.size() - released_, std::memory_order_relaxed);
  }

  // For tests and diagnostics.
  std::size_t slab_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slabs_.size();
  }
  std::size_t stacks_carved() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return carved_;
  }

 private:
  // 128 MiB of address space per slab at most: big enough that 100,000 stacks of 64 KiB are
  // about 60 slabs, small enough that a refused mmap leaves room to retry smaller.
  static constexpr std::size_t kMaxSlabBytes = std::size_t{128} << 20;
  static constexpr std::size_t kFirstSlabStacks = 16;

  struct Slab {
    char* base;
    std::size_t bytes;
  };

  // Carves up to `want` slots from the current slab (a new one when it is used up). Returns
  // how many, their first slot in `first`.
  std::size_t carve_locked(std::size_t want, char*& first) noexcept {
    if (max_stacks_ != 0) want = std::min(want, max_stacks_ - std::min(max_stacks_, carved_));
    if (want == 0) return 0;
    if (slab_left_ == 0 && !new_slab_locked()) return 0;
    const std::size_t count = std::min(want, slab_left_);
    try {
      // Room for every carved stack in free_ now, so give() never allocates.
      free_.reserve(carved_ + count);
    } catch (const std::bad_alloc&) {
      return 0;
    }
    first = slab_next_;
    slab_next_ += count * stride_;
    slab_left_ -= count;
    carved_ += count;
    return count;
  }

  bool new_slab_locked() noexcept {
    std::size_t count = std::max<std::size_t>(1, std::min(next_slab_stacks_, kMaxSlabBytes / stride_));
    if (max_stacks_ != 0) count = std::min(count, max_stacks_ - carved_);
    try {
      slabs_.reserve(slabs_.size() + 1);
    } catch (const std::bad_alloc&) {
      return false;
    }
    // A refused mmap (address space limit, overcommit, mappings) is retried smaller before
    // the pool admits it has no stack to give.
    for (; count >= 1; count /= 2) {
      const std::size_t bytes = count * stride_;
      // MAP_NORESERVE: only touched pages count; a 64 KiB stack typically touches two or three.
      void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
      if (base == MAP_FAILED) continue;
      // Transparent huge pages would make each touched stack top a 2 MiB page.
      ::madvise(base, bytes, MADV_NOHUGEPAGE);
      slabs_.push_back(Slab{static_cast<char*>(base), bytes});
      slab_next_ = static_cast<char*>(base);
      slab_left_ = count;
      next_slab_stacks_ = count * 2;
      return true;
    }
    return false;
  }

  Guard install_guard(char* slot) noexcept {
    if (policy_ == GuardPolicy::kAny && detail::guard_markers_supported() &&
        ::madvise(slot, page_, detail::kMadvGuardInstall) == 0) {
      return Guard::kMarker;
    }
    if (policy_ != GuardPolicy::kCanaryOnly) {
      std::atomic<long>& budget = detail::protected_guard_budget();
      if (budget.fetch_sub(1) > 0) {
        if (::mprotect(slot, page_, PROT_NONE) == 0) {
          protected_.fetch_add(1);
          return Guard::kProtected;
        }
        budget.store(0);  // the mappings ran out sooner than budgeted: stop splitting
      } else {
        budget.fetch_add(1);
      }
    }
    return Guard::kCanary;
  }

  const std::size_t page_;
  const std::size_t stack_size_;
  const std::size_t stride_;  // a guard page, then the stack
  const GuardPolicy policy_;
  const std::size_t max_stacks_;

  mutable std::mutex mutex_;
  std::vector<Slab> slabs_;
  std::vector<Stack> free_;
  std::size_t released_ = 0;                // free_[0, released_) gave their pages back
  std::atomic<std::size_t> unreleased_{0};  // free_.size() - released_, for worth_releasing()
  std::size_t carved_ = 0;
  char* slab_next_ = nullptr;
  std::size_t slab_left_ = 0;
  std::size_t next_slab_stacks_ = kFirstSlabStacks;
  std::atomic<long> protected_{0};
  std::atomic<bool> starving_{false};
};

// One worker thread's stacks: taken and given back without a lock, traded with the pool in
// batches. Used only by the thread that owns it (a fiber never leaves the thread that created
// it, so its stack comes back on that thread).
class StackCache {
 public:
  explicit StackCache(StackPool& pool) : pool_(&pool) { stacks_.reserve(kHigh + 1); }
  ~StackCache() { pool_->give(stacks_.data(), stacks_.size()); }
  StackCache(const StackCache&) = delete;
  StackCache& operator=(const StackCache&) = delete;

  std::size_t stack_size() const { return pool_->stack_size(); }

  // A stack for the next fiber, or false when none can be had now. Never throws.
  bool try_allocate(Stack& out) noexcept {
    if (stacks_.empty()) {
      const std::size_t before = stacks_.size();
      stacks_.resize(before + kBatch);  // within the reserved capacity: no allocation
      stacks_.resize(before + pool_->take(stacks_.data() + before, kBatch));
      if (stacks_.empty()) return false;
    }
    out = stacks_.back();
    stacks_.pop_back();
    // A stack used before still has the poisoned redzones of the last fiber's entry frames,
    // which end in a switch instead of returning.
    if constexpr (rh_san::kAsan) rh_san::unpoison_stack(out.top - stack_size(), stack_size());
    if (out.guard == Guard::kCanary) write_canary(out);
    return true;
  }

  void deallocate(const Stack& stack) noexcept {
    if (stack.guard == Guard::kCanary) check_canary(stack);
    stacks_.push_back(stack);  // size <= kHigh + 1 = the reserved capacity
    if (pool_->starving()) {
      pool_->give(stacks_.data(), stacks_.size());
      stacks_.clear();
    } else if (stacks_.size() > kHigh) {
      // The oldest half goes: the newest are the warmest.
      pool_->give(stacks_.data(), kBatch);
      stacks_.erase(stacks_.begin(), stacks_.begin() + static_cast<std::ptrdiff_t>(kBatch));
    }
  }

 private:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kHigh = 2 * kBatch;

  // Two words at the very bottom of the stack, tied to its address so a stale copy of another
  // stack's canary does not pass.
  static std::uint64_t* canary_words(const Stack& stack, std::size_t stack_size) {
    return reinterpret_cast<std::uint64_t*>(stack.top - stack_size);
  }
  static std::uint64_t canary_value(const std::uint64_t* words) {
    return 0x9e3779b97f4a7c15ull ^ static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(words));
  }
  void write_canary(const Stack& stack) const {
    std::uint64_t* words = canary_words(stack, pool_->stack_size());
    words[0] = canary_value(words);
    words[1] = ~canary_value(words);
  }
  void check_canary(const Stack& stack) const {
    const std::uint64_t* words = canary_words(stack, pool_->stack_size());
    if (words[0] == canary_value(words) && words[1] == ~canary_value(words)) return;
    // The fiber wrote below its stack, into the one beneath it: nothing that ran since can be
    // trusted, so stop here and say why.
    std::fprintf(stderr,
                 "runner 'fiber': a fiber overflowed its %zu KiB stack (stack at %p); raise the runner option "
                 "'stack_size_kib'\n",
                 pool_->stack_size() / 1024, static_cast<const void*>(words));
    std::abort();
  }

  StackPool* pool_;
  std::vector<Stack> stacks_;
};

// Told when a fiber's stack comes back (sanitized builds: the switch annotations forget the
// fiber).
struct StackReleaseHook {
  void (*fn)(void* arg, const Stack& stack) = nullptr;
  void* arg = nullptr;
};

// The StackAllocator Boost.Fiber is given for one fiber: it hands over a stack the dispatcher
// already holds (so creating the fiber cannot fail) and returns it to the creating thread's
// cache when the fiber is gone.
class ReservedStack {
 public:
  ReservedStack(StackCache& cache, const Stack& stack, StackReleaseHook hook = {})
      : cache_(&cache), stack_(stack), hook_(hook) {}

  boost::context::stack_context allocate() {
    boost::context::stack_context context;
    context.size = cache_->stack_size();
    context.sp = stack_.top;
    return context;
  }

  void deallocate(boost::context::stack_context&) noexcept {
    if (hook_.fn != nullptr) hook_.fn(hook_.arg, stack_);
    cache_->deallocate(stack_);
  }

 private:
  StackCache* cache_;
  Stack stack_;
  StackReleaseHook hook_;
};

}  // namespace rh_fiber
