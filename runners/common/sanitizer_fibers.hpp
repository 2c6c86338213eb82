// What the runners tell AddressSanitizer and ThreadSanitizer about their stack switches
// (docs/sanitizers.md). Everything here compiles to nothing unless the runner itself is built
// with the sanitizer (__SANITIZE_ADDRESS__ / __SANITIZE_THREAD__, RH_SANITIZE=address|thread),
// and the runners call it only under `if constexpr (rh_san::kAsan)` / `kTsan`, so a normal
// build's hot path is unchanged.
//
// - ASan keeps one stack per thread: the range it unpoisons when an exception or longjmp leaves
//   frames (__asan_handle_no_return), and the range "stack" addresses are reported against.
//   start_switch(to) before a switch names the stack being switched to; finish_switch(), on the
//   new stack, completes it and gives back the bounds of the stack that was left. In between,
//   ASan picks whichever of the two holds the stack pointer, so finishing late is harmless;
//   starting twice without finishing is fatal.
// - TSan keeps one shadow call stack and one vector clock per thread. A fiber of its own
//   (create_fiber) for each context that runs code, and switch_to(fiber) before each switch,
//   keep both per logical thread of execution; switch_to also orders the code before the
//   switch before the code after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace rh_san {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAsan = true;
#else
inline constexpr bool kAsan = false;
#endif
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kTsan = true;
#else
inline constexpr bool kTsan = false;
#endif

// A stack as ASan sees it: its lowest address and its size. {nullptr, 0} when unknown.
struct StackBounds {
  const void* bottom = nullptr;
  std::size_t size = 0;
};

// --- AddressSanitizer

inline void start_switch([[maybe_unused]] const StackBounds& to) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  // No fake stack to save: detect_stack_use_after_return stays off (cmake/sanitizers.cmake).
  __sanitizer_start_switch_fiber(nullptr, to.bottom, to.size);
#endif
}

// Returns the bounds of the stack that was left.
inline StackBounds finish_switch() noexcept {
  StackBounds from;
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, &from.bottom, &from.size);
#endif
  return from;
}

// Stack memory about to be reused for another fiber: frames that never returned (a fiber's
// entry frames end in a switch, not a return) leave their redzones poisoned.
inline void unpoison_stack([[maybe_unused]] void* bottom, [[maybe_unused]] std::size_t size) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(bottom, size);
#endif
}

// The heap block that holds `address` (a stack Boost.Fiber allocated with malloc), or {}.
inline StackBounds heap_block_of([[maybe_unused]] void* address) noexcept {
  StackBounds block;
#if defined(__SANITIZE_ADDRESS__)
  char kind_name[1] = {};
  void* begin = nullptr;
  std::size_t size = 0;
  const char* kind = __asan_locate_address(address, kind_name, sizeof kind_name, &begin, &size);
  if (kind != nullptr && kind[0] == 'h') block = StackBounds{begin, size};  // "heap"
#endif
  return block;
}

// The memory mapping that holds `address` (from /proc/self/maps), or {}: the bounds of a stack
// some library made (oneTBB's coroutines, a thread's stack) when nothing else says them.
inline StackBounds mapping_of(const void* address) noexcept {
  StackBounds found;
  std::FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return found;
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  char line[512];
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    unsigned long long low = 0;
    unsigned long long high = 0;
    if (std::sscanf(line, "%llx-%llx", &low, &high) == 2 && at >= low && at < high) {
      found = StackBounds{reinterpret_cast<const void*>(low), static_cast<std::size_t>(high - low)};
      break;
    }
  }
  std::fclose(maps);
  return found;
}

// Tells ASan that the code running now is on `stack`, when no switch of ours led here (the
// switch was made by a library ASan does not see).
inline void now_on_stack(const StackBounds& stack) noexcept {
  start_switch(stack);
  finish_switch();
}

// --- ThreadSanitizer

inline void* current_fiber() noexcept {
#if defined(__SANITIZE_THREAD__)
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}

inline void* create_fiber() noexcept {
#if defined(__SANITIZE_THREAD__)
  return __tsan_create_fiber(0);
#else
  return nullptr;
#endif
}

// Never the current fiber.
inline void destroy_fiber([[maybe_unused]] void* fiber) noexcept {
#if defined(__SANITIZE_THREAD__)
  if (fiber != nullptr) __tsan_destroy_fiber(fiber);
#endif
}

// Immediately before the switch: no instrumented code may run between this call and the
// switch, nor on the new stack before it was made.
inline void switch_to([[maybe_unused]] void* fiber) noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(fiber, 0);
#endif
}

// What one thread did before release(address) happens before what another does after a later
// acquire(address): for hand-offs through code TSan does not see (oneTBB's queues).
inline void release([[maybe_unused]] void* address) noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(address);
#endif
}

inline void acquire([[maybe_unused]] void* address) noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(address);
#endif
}

}  // namespace rh_san
