#include "worker_rank.hpp"

#include "isolated_slot.hpp"
#include "mpi_world.hpp"
#include "postman.hpp"
#include "slot_mailbox.hpp"
#include "worker.hpp"

#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace rh::mpi_runner {
namespace {

using worker_protocol::Type;

struct Slot {
  std::unique_ptr<SlotMailbox> mailbox;
  std::thread thread;
  std::atomic<bool> ended{false};
};

}  // namespace

int serve_worker_rank(const MpiOptions& options) {
  World& world = World::get();
  Postman postman;
  wire::Writer hello;
  hello.u32(options.slots_per_rank).str(world.host_name()).u32(static_cast<std::uint32_t>(getpid()));
  postman.post(0, Kind::Hello, 0, std::string_view(hello.finish()).substr(wire::kHeaderSize));

  std::vector<std::unique_ptr<Slot>> slots;
  for (std::uint32_t i = 0; i < options.slots_per_rank; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->mailbox = std::make_unique<SlotMailbox>(postman, i);
    Slot* raw = slot.get();
    const std::uint32_t index = i + 1;  // its worker process is "worker <index> (pid P)"
    slot->thread = std::thread([raw, &options, index] {
      if (options.isolate) {
        relay_to_worker_process(*raw->mailbox, options, index);
      } else {
        process_worker::Worker worker(*raw->mailbox, -1);
        process_worker::set_the_worker(&worker);
        worker.serve();
      }
      raw->ended = true;
    });
    slots.push_back(std::move(slot));
  }

  bool shutdown = false;
  const auto heartbeat = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options.heartbeat_seconds / 2));
  auto last_heartbeat = std::chrono::steady_clock::now();
  const auto deliver = [&](int source, const Item& item) {
    if (source != 0) return;  // only rank 0 speaks to workers
    if (item.kind == Kind::Shutdown) {
      shutdown = true;
    } else if ((item.kind == Kind::Run || item.kind == Kind::Frame) && item.slot < slots.size()) {
      slots[item.slot]->mailbox->deliver(item.kind, std::string(item.payload));
    }
  };
  const auto malformed = [&](int, const std::string& why) {
    std::fprintf(stderr, "runner-host mpi rank %d: rank 0 sent a malformed message (%s)\n", world.rank(), why.c_str());
  };
  while (!shutdown) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat >= heartbeat) {
      postman.post(0, Kind::Heartbeat, 0, {});
      last_heartbeat = now;
    }
    if (!postman.pass(deliver, malformed)) postman.nap();
  }

  // Every slot's worker ends at Shutdown; one still inside an attempt (its run abandoned by
  // rank 0) is not waited for beyond a grace period.
  const std::string stop = wire::Writer().u8(static_cast<std::uint8_t>(Type::Shutdown)).finish();
  for (auto& slot : slots) slot->mailbox->deliver(Kind::Frame, stop.substr(wire::kHeaderSize));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  bool all_ended = false;
  while (!all_ended && std::chrono::steady_clock::now() < give_up) {
    postman.pass([](int, const Item&) {}, [](int, const std::string&) {});
    all_ended = true;
    for (auto& slot : slots) all_ended = all_ended && slot->ended;
    if (!all_ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  postman.flush(std::chrono::milliseconds(1000), [](int) { return false; });
  for (auto& slot : slots) {
    if (slot->ended) {
      slot->thread.join();
    } else {
      slot->thread.detach();
    }
  }
  world.finalize();
  if (!all_ended) std::_Exit(0);  // a detached worker thread may not outlive static destructors
  return 0;
}

}  // namespace rh::mpi_runner
