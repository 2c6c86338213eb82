// The MPI runner: one job of `mpirun -np N runner-host --runner mpi ...`. Every rank starts
// the same command line and asks this plugin its role first (RH_EXT_WORKER_ROLE): ranks
// 1..N-1 serve attempts (worker_rank.hpp) and never run a flow; rank 0 is the host as with
// any runner, and its attempts go to the worker ranks' slots as descriptions
// (RH_EXT_REMOTE_ATTEMPTS, docs/worker-protocol.md), lent out by the pool of the process
// runner's kind (lane_pool.hpp). A rank silent for 3 heartbeats is lost: its attempts are
// sent again to the ranks left (at most 3 times each), and the run goes on.
#include "coordinator.hpp"
#include "lane_pool.hpp"
#include "mpi_options.hpp"
#include "mpi_world.hpp"
#include "seat.hpp"
#include "worker_rank.hpp"

#include <runner_host/extensions.hpp>
#include <runner_host/runner.hpp>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace rh::mpi_runner {
namespace {

// An attempt of a lost rank goes to another at most this many times, apart from the task's
// own retries; then it ends Crashed.
constexpr int kMaxResends = 3;

std::uint32_t seats_of(const MpiOptions& options) {
  std::uint32_t slots = 0;
  for (const WorkerRank& rank : the_roster().ranks) slots += rank.slots;
  return std::max<std::uint32_t>(1, slots * options.prefetch);
}

class MpiRunner final : public remote::LanePool {
 public:
  explicit MpiRunner(json options) : MpiRunner(parse_mpi_options(std::move(options))) {}

 private:
  explicit MpiRunner(const MpiOptions& options) : LanePool(seats_of(options)), options_(options) {
    World& world = World::get();
    if (!world.initialized() || world.rank() != 0 || the_roster().ranks.empty()) {
      throw std::runtime_error("the MPI runner starts only as the host of an MPI job (rank 0 under mpirun)");
    }
    if (world.finalized()) throw std::runtime_error("the MPI runner serves one run per process");
    const auto* info = host_extension<rh_host_info>(RH_EXT_HOST_INFO);
    if (info != nullptr) host_version_ = to_string(info->version);
  }

  std::vector<remote::Lane*> open_lanes() override {
    coordinator_ = std::make_unique<Coordinator>(
        options_, [this](std::uint32_t level, const std::string& message) { log(level, message); });
    coordinator_->start(libraries(), host_version_);
    std::uint32_t slots = 0;
    for (auto& link : coordinator_->links()) {
      ++slots;
      for (std::uint32_t i = 0; i < options_.prefetch; ++i) {
        seats_.push_back(std::make_unique<Seat>(*coordinator_, *link));
      }
    }
    log(RH_LOG_DEBUG, std::to_string(the_roster().ranks.size()) + " worker rank(s), " + std::to_string(slots) +
                          " slot(s), " + std::to_string(options_.prefetch) + " attempt(s) in flight per slot");
    // Round-robin over the slots: the first attempts spread over every rank.
    std::vector<remote::Lane*> lanes;
    for (std::uint32_t i = 0; i < options_.prefetch; ++i) {
      for (std::uint32_t s = 0; s < slots; ++s) lanes.push_back(seats_[s * options_.prefetch + i].get());
    }
    std::reverse(lanes.begin(), lanes.end());  // the pool lends from the back
    return lanes;
  }

  void close_lanes() override {
    if (coordinator_) coordinator_->stop();
    // MPI ends with the runner, on the host's main thread (shutdown is [host-main]).
    World::get().finalize();
  }

  std::string no_lane_left() const override { return "every worker rank is lost (worker rank lost)"; }
  int max_resends() const override { return kMaxResends; }

  const MpiOptions options_;
  std::string host_version_;
  std::unique_ptr<Coordinator> coordinator_;
  std::vector<std::unique_ptr<Seat>> seats_;
};

// Rank 0 leaving without a runner (a bad flow name, say) still ends the job cleanly.
void dismiss_at_exit() { dismiss_workers(); }

int32_t take_role(rh_str options_json, int32_t* exit_code, rh_error_sink* err) {
  try {
    const MpiOptions options = parse_mpi_options(json::parse(to_string_view(options_json)));
    World& world = World::get();
    world.init();
    if (world.size() < 2) {
      world.finalize();
      throw std::runtime_error("the MPI runner needs worker ranks: run under mpirun -np N, N >= 2");
    }
    if (world.rank() != 0) {
      *exit_code = serve_worker_rank(options);
      return RH_ROLE_SERVED;
    }
    std::atexit(&dismiss_at_exit);
    gather_roster(options.start_timeout_seconds);
    return RH_ROLE_COORDINATOR;
  } catch (...) {
    detail::report_current_exception(err);
    return RH_ERROR;
  }
}

const rh_worker_role kWorkerRole = {sizeof(rh_worker_role), &take_role};

const void* get_extension(rh_str id) {
  const std::string_view name = to_string_view(id);
  if (name == RH_EXT_REMOTE_ATTEMPTS) return &remote::LanePool::remote_attempts();
  if (name == RH_EXT_WORKER_ROLE) return &kWorkerRole;
  return nullptr;
}

}  // namespace
}  // namespace rh::mpi_runner

RH_RUNNER_PLUGIN_WITH_EXTENSIONS("mpi", "1.0.0", rh::mpi_runner::MpiRunner, &rh::mpi_runner::get_extension)
