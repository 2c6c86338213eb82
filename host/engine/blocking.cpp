#include "engine/blocking.hpp"

#include "engine/engine.hpp"

namespace rh::host {

std::int32_t block_on(Scheduler& scheduler, rh_event* token, std::int64_t deadline, std::uint32_t flags) {
  Engine* engine = Engine::active();
  if (engine != nullptr && &engine->scheduler() == &scheduler) return engine->block_on(token, deadline, flags);
  return scheduler.wait(token, deadline, flags) ? RH_OK : RH_TIMEOUT;
}

}  // namespace rh::host
