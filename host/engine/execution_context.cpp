#include "engine/execution_context.hpp"

#include "engine/engine.hpp"
#include "runtime/thread_link.hpp"

namespace rh::host {
namespace {

thread_local ExecutionContext tl_context;

class ContextBlocker final : public Blocker {
 public:
  const RunnerLink& runner() const override {
    Engine* engine = current_context().engine;
    return engine != nullptr ? engine->runner() : thread_link();
  }

  std::int32_t block(rh_event* token, std::int64_t deadline, std::uint32_t flags) const override {
    const ExecutionContext saved = current_context();
    std::int32_t status;
    if (saved.attempt != nullptr) {
      status = saved.engine->block_attempt(*saved.attempt, token, deadline, flags);
    } else {
      status = runner().wait(token, deadline, flags) ? RH_OK : RH_TIMEOUT;
    }
    set_current_context(saved);  // resumed, perhaps on another thread
    return status;
  }

  std::uint64_t calling_run() const override {
    const AttemptContext* attempt = current_context().attempt;
    return attempt != nullptr ? attempt->run->id() : 0;
  }
};

}  // namespace

// Out of line on purpose: a compiler may keep a thread-local's address in a register across
// a call that suspended the task and resumed it on another thread. Computing the address
// afresh in a separate function, on every access, always reaches the current thread's slot.
__attribute__((noinline)) ExecutionContext current_context() noexcept { return tl_context; }
__attribute__((noinline)) void set_current_context(ExecutionContext context) noexcept { tl_context = context; }

const Blocker& context_blocker() {
  static const ContextBlocker blocker;
  return blocker;
}

}  // namespace rh::host
