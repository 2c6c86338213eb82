// Fiber stacks: guarded (a PROT_NONE page below each, from Boost.Context's
// protected_fixedsize_stack) and pooled per worker thread. A fiber never leaves the thread
// that created it in this runner, so the pool needs no lock.
#pragma once

#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <vector>

namespace rh_fiber {

class StackPool {
 public:
  StackPool(std::size_t stack_size, std::size_t max_cached) : allocator_(stack_size), max_cached_(max_cached) {}
  ~StackPool() {
    for (auto& stack : free_) allocator_.deallocate(stack);
  }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate() {
    if (free_.empty()) return allocator_.allocate();
    boost::context::stack_context stack = free_.back();
    free_.pop_back();
    return stack;
  }

  void deallocate(boost::context::stack_context& stack) {
    if (free_.size() < max_cached_) {
      free_.push_back(stack);
    } else {
      allocator_.deallocate(stack);
    }
  }

 private:
  boost::context::protected_fixedsize_stack allocator_;
  std::size_t max_cached_;
  std::vector<boost::context::stack_context> free_;
};

// The StackAllocator concept Boost.Fiber expects, forwarding to the creating thread's pool.
class PooledStack {
 public:
  explicit PooledStack(StackPool& pool) : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->deallocate(stack); }

 private:
  StackPool* pool_;
};

}  // namespace rh_fiber
