#include "coordinator.hpp"

#include "seconds_text.hpp"

#include "mpi_world.hpp"

#include <runner_host/abi.h>

#include <stdexcept>

namespace rh::mpi_runner {
namespace {

using remote::seconds_text;
using worker_protocol::Type;

}  // namespace

Roster& the_roster() {
  static Roster roster;
  return roster;
}

void gather_roster(double timeout_seconds) {
  World& world = World::get();
  Roster& roster = the_roster();
  roster.ranks.assign(static_cast<std::size_t>(world.size() - 1), WorkerRank{});
  std::size_t missing = roster.ranks.size();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (missing > 0) {
    int source = -1;
    std::string batch;
    if (!world.receive_if_any(&source, &batch)) {
      if (std::chrono::steady_clock::now() >= give_up) {
        std::string which;
        for (std::size_t i = 0; i < roster.ranks.size(); ++i) {
          if (roster.ranks[i].rank == 0) which += (which.empty() ? "" : ", ") + std::to_string(i + 1);
        }
        throw std::runtime_error("worker rank(s) " + which + " did not report within " + seconds_text(timeout_seconds) +
                                 " (start_timeout_seconds)");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    if (source < 1 || source >= world.size()) continue;
    try {
      for_each_item(batch, [&](const Item& item) {
        if (item.kind != Kind::Hello) return;
        wire::Reader in(item.payload);
        WorkerRank& rank = roster.ranks[static_cast<std::size_t>(source - 1)];
        if (rank.rank != 0) return;
        rank.slots = in.u32();
        const std::string host(in.str());
        rank.name = rank_name(source, host, in.u32());
        if (rank.slots == 0) throw wire::WireError("a worker rank with no slots");
        rank.rank = source;
        rank.last_heard = std::chrono::steady_clock::now();
        --missing;
      });
    } catch (const wire::WireError& e) {
      throw std::runtime_error("worker rank " + std::to_string(source) + " sent a malformed Hello (" + e.what() + ")");
    }
  }
}

void dismiss_workers() {
  World& world = World::get();
  if (!world.initialized() || world.finalized()) return;
  std::string batch;
  append_item(batch, Kind::Shutdown, 0, {});
  for (int rank = 1; rank < world.size(); ++rank) world.send_now(rank, batch);
  world.finalize();
}

Coordinator::Coordinator(const MpiOptions& options, Log log) : options_(options), log_(std::move(log)) {
  ranks_ = the_roster().ranks;
  for (const WorkerRank& rank : ranks_) {
    first_link_.push_back(links_.size());
    for (std::uint32_t slot = 0; slot < rank.slots; ++slot) {
      auto link = std::make_unique<SlotLink>();
      link->rank = rank.rank;
      link->slot = slot;
      link->name = rank.name + " slot " + std::to_string(slot);
      link->log_prefix = "[rank " + std::to_string(rank.rank) + "] ";
      links_.push_back(std::move(link));
    }
  }
}

Coordinator::~Coordinator() { stop(); }

SlotLink* Coordinator::link_of(int rank, std::uint32_t slot) {
  if (rank < 1 || static_cast<std::size_t>(rank) > ranks_.size()) return nullptr;
  const WorkerRank& worker = ranks_[static_cast<std::size_t>(rank - 1)];
  if (slot >= worker.slots) return nullptr;
  return links_[first_link_[static_cast<std::size_t>(rank - 1)] + slot].get();
}

void Coordinator::start(const std::vector<std::string>& libraries, const std::string& host_version) {
  const auto now = std::chrono::steady_clock::now();
  for (WorkerRank& rank : ranks_) rank.last_heard = now;
  thread_ = std::thread([this] { serve(); });
  wire::Writer init;
  init.u8(static_cast<std::uint8_t>(Type::Init)).u32(worker_protocol::kVersion);
  init.str("runner-host").str(host_version).u64(0);
  init.u32(static_cast<std::uint32_t>(libraries.size()));
  for (const std::string& library : libraries) init.str(library);
  const std::string payload = init.finish().substr(wire::kHeaderSize);
  for (auto& link : links_) post(*link, Kind::Frame, payload);
  // Every slot loads the libraries at once; each answers Ready or LoadFailed.
  const auto give_up = now + std::chrono::duration<double>(options_.start_timeout_seconds);
  for (auto& link : links_) {
    std::unique_lock<std::mutex> lock(link->mutex);
    for (;;) {
      if (!link->lost.empty()) throw std::runtime_error(link->name + " " + link->lost + " before it was ready");
      if (link->inbox.empty()) {
        if (link->changed.wait_until(lock, give_up) == std::cv_status::timeout && link->inbox.empty()) {
          throw std::runtime_error(link->name + " did not load its task libraries within " +
                                   seconds_text(options_.start_timeout_seconds));
        }
        continue;
      }
      const std::string message = std::move(link->inbox.front());
      link->inbox.pop_front();
      wire::Reader in(message);
      try {
        const auto type = static_cast<Type>(in.u8());
        if (type == Type::Ready) {
          if (in.u32() != worker_protocol::kVersion) {
            throw std::runtime_error(link->name + " speaks another version of the worker protocol");
          }
          break;
        }
        if (type == Type::LoadFailed) throw std::runtime_error(link->name + ": " + std::string(in.str()));
        if (type != Type::Log) throw std::runtime_error(link->name + " sent a message before it was ready");
        const std::uint32_t level = in.u32();
        in.boolean();
        in.str();
        log_(std::min<std::uint32_t>(level, RH_LOG_CRITICAL), link->name + ": " + std::string(in.str()));
      } catch (const wire::WireError& e) {
        throw std::runtime_error(link->name + " sent a malformed message before it was ready (" + e.what() + ")");
      }
    }
  }
}

void Coordinator::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(ranks_mutex_);
    for (const WorkerRank& rank : ranks_) {
      if (!rank.lost) postman_.post(rank.rank, Kind::Shutdown, 0, {});
    }
  }
  stopping_ = true;
  thread_.join();
}

void Coordinator::serve() {
  const auto silence = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(3 * options_.heartbeat_seconds));
  const auto deliver = [this](int source, const Item& item) { this->deliver(source, item); };
  const auto malformed = [this](int source, const std::string& why) {
    give_up_rank(source, "sent a malformed message (" + why + ")");
  };
  while (!stopping_) {
    if (!postman_.pass(deliver, malformed)) postman_.nap();
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(ranks_mutex_);
    for (WorkerRank& rank : ranks_) {
      if (!rank.lost && now - rank.last_heard > silence) {
        lose_rank(rank, "was silent for more than 3 heartbeats (" + seconds_text(3 * options_.heartbeat_seconds) + ")");
      }
    }
  }
  // The Shutdowns go out; a lost rank's sends may never complete.
  postman_.flush(std::chrono::milliseconds(2000), [this](int rank) {
    std::lock_guard<std::mutex> lock(ranks_mutex_);
    return rank < 1 || static_cast<std::size_t>(rank) > ranks_.size() ||
           ranks_[static_cast<std::size_t>(rank - 1)].lost;
  });
}

void Coordinator::deliver(int source, const Item& item) {
  if (source < 1 || static_cast<std::size_t>(source) > ranks_.size()) return;
  {
    std::lock_guard<std::mutex> lock(ranks_mutex_);
    WorkerRank& rank = ranks_[static_cast<std::size_t>(source - 1)];
    if (rank.lost) return;  // what a lost rank still says is not listened to
    rank.last_heard = std::chrono::steady_clock::now();
  }
  if (item.kind != Kind::FromSlot && item.kind != Kind::SlotLost) return;  // a Heartbeat: heard is all it says
  SlotLink* link = link_of(source, item.slot);
  if (link == nullptr) {
    give_up_rank(source, "named slot " + std::to_string(item.slot) + ", which it does not have");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(link->mutex);
    if (item.kind == Kind::SlotLost) {
      link->inbox.push_back(std::string(1, kWorkerDiedMark) + std::string(item.payload));
    } else {
      link->inbox.emplace_back(item.payload);
    }
  }
  link->changed.notify_all();
}

void Coordinator::give_up_rank(int source, const std::string& why) {
  if (source < 1 || static_cast<std::size_t>(source) > ranks_.size()) return;
  std::lock_guard<std::mutex> lock(ranks_mutex_);
  lose_rank(ranks_[static_cast<std::size_t>(source - 1)], why);
}

void Coordinator::lose_rank(WorkerRank& rank, const std::string& why) {
  if (rank.lost) return;
  rank.lost = true;
  const std::string text = "worker " + rank.name + " " + why;
  log_(RH_LOG_WARN, text + "; its attempts go to the ranks left");
  const std::size_t first = first_link_[static_cast<std::size_t>(rank.rank - 1)];
  for (std::size_t i = first; i < first + rank.slots; ++i) {
    SlotLink& link = *links_[i];
    {
      std::lock_guard<std::mutex> link_lock(link.mutex);
      link.lost = text;
    }
    link.changed.notify_all();
  }
}

}  // namespace rh::mpi_runner
