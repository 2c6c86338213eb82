#include "runtime/wait.hpp"

#include "runtime/thread_link.hpp"

namespace rh::host {
namespace {

class ThreadBlocker final : public Blocker {
 public:
  const RunnerLink& runner() const override { return thread_link(); }
  std::int32_t block(rh_event* token, std::int64_t deadline, std::uint32_t flags) const override {
    return thread_link().wait(token, deadline, flags) ? RH_OK : RH_TIMEOUT;
  }
};

}  // namespace

const Blocker& thread_blocker() {
  static const ThreadBlocker blocker;
  return blocker;
}

}  // namespace rh::host
