// The fiber runner's scheduling algorithm in sanitized builds: Boost.Fiber's round robin, plus
// the stack-switch annotations of sanitizer_fibers.hpp (docs/sanitizers.md).
//
// The switches are made inside the Debian binary libboost_fiber (Boost.Context's fcontext,
// built without BOOST_USE_ASAN/BOOST_USE_TSAN), where no code of ours can sit next to them. But
// every switch but two is preceded by a call of the scheduling algorithm's pick_next() on the
// stack being left, naming the context to run next (or nullptr: the dispatcher, unless the
// dispatcher itself is asking, which then waits without switching). So pick_next() annotates
// the switch, and the next call of the algorithm, on the new stack, finishes it. The two others:
// - a fiber launched with launch::dispatch is switched to by the fiber's constructor; sanitized
//   builds launch with launch::post and yield instead, which goes through pick_next();
// - at thread exit the dispatcher returns to the main context directly; the algorithm is
//   destroyed on the main context right after, and its destructor annotates that switch late.
//   In between only libboost_fiber runs, which no sanitizer sees.
// A context that ended is resumed once more by whoever releases it, to unwind its entry frames
// (code of this translation unit, whose TSan build has no function entry/exit events); that
// brief visit, on the same thread and without exceptions, is not annotated.
#pragma once

#include "pooled_stack.hpp"
#include "sanitizer_fibers.hpp"

#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/type.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace rh_fiber {

inline constexpr bool kAnnotatedSwitches = rh_san::kAsan || rh_san::kTsan;

class AnnotatedRoundRobin final : public boost::fibers::algo::round_robin {
 public:
  using context = boost::fibers::context;

  // Made on the worker thread's main context; *self is where the runner finds it.
  AnnotatedRoundRobin(std::size_t stack_size, AnnotatedRoundRobin** self) : stack_size_(stack_size) {
    main_.ctx = context::active();
    main_.fiber = rh_san::current_fiber();
    *self = this;
  }

  ~AnnotatedRoundRobin() override {
    finish_pending();
    rh_san::switch_to(main_.fiber);
    rh_san::start_switch(main_.bounds);
    rh_san::finish_switch();
    rh_san::destroy_fiber(dispatcher_.fiber);
    for (auto& entry : fibers_) rh_san::destroy_fiber(entry.second.fiber);
    for (void* fiber : spare_fibers_) rh_san::destroy_fiber(fiber);
  }

  AnnotatedRoundRobin(const AnnotatedRoundRobin&) = delete;
  AnnotatedRoundRobin& operator=(const AnnotatedRoundRobin&) = delete;

  // The stack the next fiber this thread creates runs on.
  void expect_new_fiber(const Stack& stack) noexcept { expected_top_ = stack.top; }

  // A fiber's stack came back: its context is gone, and it is not the one running. Its TSan
  // fiber is kept for the next fiber this thread starts: creating and destroying one costs a
  // TSan thread state each time (measured: 1.3 ms per run of the fiber runner under TSan,
  // against 25 us on the tbb runner, which pools them too). Reuse hides no race: everything
  // the old fiber did happens before the switch away from it, on this thread.
  void forget(const Stack& stack) noexcept {
    auto it = fibers_.find(stack.top);
    if (it == fibers_.end()) return;
    if (it->second.fiber != nullptr) spare_fibers_.push_back(it->second.fiber);
    fibers_.erase(it);
  }

  void awakened(context* ctx) noexcept override {
    finish_pending();
    learn(ctx);
    round_robin::awakened(ctx);
  }

  context* pick_next() noexcept override {
    finish_pending();
    context* next = round_robin::pick_next();
    context* self = context::active();
    Known* to = nullptr;
    if (next != nullptr) {
      to = find(next);
    } else if (self != dispatcher_.ctx) {
      to = dispatcher_.ctx != nullptr ? &dispatcher_ : nullptr;
    } else {
      return nullptr;  // the dispatcher waits in suspend_until: no switch
    }
    if (to == nullptr) fail("a context the runner did not see start is about to run");
    if (to->ctx == self) return next;
    from_main_ = self == main_.ctx;
    pending_ = true;
    rh_san::start_switch(to->bounds);
    rh_san::switch_to(to->fiber);  // last: nothing instrumented runs before the switch
    return next;
  }

 private:
  struct Known {
    context* ctx = nullptr;
    rh_san::StackBounds bounds;
    void* fiber = nullptr;  // TSan's
  };

  [[noreturn]] static void fail(const char* what) noexcept {
    std::fprintf(stderr, "runner 'fiber': sanitizer annotations: %s\n", what);
    std::abort();
  }

  void finish_pending() noexcept {
    if (!pending_) return;
    pending_ = false;
    const rh_san::StackBounds left = rh_san::finish_switch();
    // ASan knows the thread's own stack: the first switch away from it tells us its bounds.
    if (from_main_ && main_.bounds.size == 0) main_.bounds = left;
  }

  Known* find(context* ctx) noexcept {
    if (ctx == main_.ctx) return &main_;
    if (ctx == dispatcher_.ctx) return &dispatcher_;
    // A worker fiber's context lives at the top of its stack (boost::fibers::make_worker_context).
    auto it = fibers_.upper_bound(reinterpret_cast<char*>(ctx));
    if (it == fibers_.end() || reinterpret_cast<char*>(ctx) < it->first - stack_size_) return nullptr;
    return &it->second;
  }

  void learn(context* ctx) noexcept {
    if (find(ctx) != nullptr) return;
    if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
      // Handed over with the ready queue when this algorithm is installed. Its stack is
      // Boost's default (malloc'ed), with the context at its top.
      dispatcher_ = Known{ctx, rh_san::heap_block_of(ctx), rh_san::create_fiber()};
      return;
    }
    char* address = reinterpret_cast<char*>(ctx);
    if (expected_top_ == nullptr || address >= expected_top_ || address < expected_top_ - stack_size_) {
      fail("a fiber started on a stack the runner did not hand out");
    }
    char* bottom = expected_top_ - stack_size_;
    void* fiber = nullptr;
    if (spare_fibers_.empty()) {
      fiber = rh_san::create_fiber();
    } else {
      fiber = spare_fibers_.back();
      spare_fibers_.pop_back();
    }
    fibers_[expected_top_] = Known{ctx, rh_san::StackBounds{bottom, stack_size_}, fiber};
    expected_top_ = nullptr;
  }

  const std::size_t stack_size_;
  Known main_;
  Known dispatcher_;
  std::map<char*, Known> fibers_;  // by stack top
  // TSan fibers of ended fibers, for the next ones: no more than this thread ever ran at once.
  std::vector<void*> spare_fibers_;
  char* expected_top_ = nullptr;
  bool pending_ = false;  // an ASan switch was started and not finished yet
  bool from_main_ = false;
};

}  // namespace rh_fiber
