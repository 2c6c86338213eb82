// One attempt position of a worker slot, as rank 0's pool lends it (remote::Lane): a slot
// has `prefetch` seats, so that its next attempt is on the wire while one runs. The host
// thread that borrowed the seat sends the attempt, then serves the messages of the slot
// when its turn comes: Log and Done onto the attempt, each Call answered here (a nested run
// the engine runs in place goes to the same slot, which nests it). When the slot's rank is
// lost, an outermost attempt goes elsewhere (kSendElsewhere) while it may.
#pragma once

#include "coordinator.hpp"
#include "lane_pool.hpp"

#include <cstdint>
#include <vector>

namespace rh::mpi_runner {

class Seat final : public remote::Lane {
 public:
  Seat(Coordinator& coordinator, SlotLink& link) : coordinator_(coordinator), link_(link) {}

  std::int32_t execute(const rh_remote_attempt& attempt, bool may_resend) override;
  bool usable() const override;

 private:
  enum class Ending { Done, RankLost, WorkerDied };
  // Serves the slot's messages until the attempt's Done, its rank is lost, or the slot's
  // worker process died (isolate).
  Ending serve(std::uint64_t attempt_id, const rh_remote_attempt& attempt, std::uint64_t ticket, std::int32_t* code);
  void end_turn(std::uint64_t ticket);

  Coordinator& coordinator_;
  SlotLink& link_;
  std::vector<std::uint64_t> frames_;  // attempts executing on this seat, innermost last
  std::string died_;                   // why the slot's worker process died under these frames
  static std::uint64_t next_attempt_id();
};

}  // namespace rh::mpi_runner
