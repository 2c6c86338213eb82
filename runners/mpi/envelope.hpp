// What the MPI runner's ranks send each other (docs/worker-protocol.md, "Over MPI"): one MPI
// message is a batch of items, so that many small frames (the attempts of sub-millisecond
// tasks, their Done) cost one send. An item is a kind, the worker slot it is for or from,
// and a payload: for Frame and Run a worker-protocol payload, unchanged but for deadlines,
// which cross as time left (clocks of two machines do not agree).
#pragma once

#include "wire.hpp"
#include "worker_protocol.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace rh::mpi_runner {

// The MPI tag of every batch; nothing else of ours travels.
inline constexpr int kBatchTag = 7301;

enum class Kind : std::uint8_t {
  // rank 0 -> worker rank
  Run = 1,       // an outermost attempt's Run frame: the slot starts it after the attempt before
  Frame = 2,     // any other frame for the slot, a nested attempt's Run included
  Shutdown = 3,  // the job is over
  // worker rank -> rank 0
  Hello = 16,      // u32 slots, str host name, u32 pid: once, first
  FromSlot = 17,   // a frame the slot's worker sent
  Heartbeat = 18,  // nothing else to say for a while
  SlotLost = 19,   // str why: the slot's worker process died (isolate); what ran on it is lost
};

inline void append_item(std::string& batch, Kind kind, std::uint32_t slot, std::string_view payload) {
  const auto fixed = [&batch](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) batch.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
  };
  batch.push_back(static_cast<char>(kind));
  fixed(slot, 4);
  fixed(payload.size(), 4);
  batch.append(payload.data(), payload.size());
}

struct Item {
  Kind kind;
  std::uint32_t slot;
  std::string_view payload;
};

// Calls fn(Item) for each item of a batch. Throws wire::WireError for a malformed one.
template <class Fn>
void for_each_item(std::string_view batch, Fn&& fn) {
  wire::Reader in(batch);
  while (in.remaining() > 0) {
    const auto kind = static_cast<Kind>(in.u8());
    const std::uint32_t slot = in.u32();
    fn(Item{kind, slot, in.str()});
  }
}

inline std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The deadlines in worker-protocol payloads: a Run's is its last field, and so is that of
// each Call that waits with one (RunWait, WaitsetNext, WaiterWait).
inline bool has_trailing_deadline(std::string_view payload) {
  using worker_protocol::Op;
  using worker_protocol::Type;
  if (payload.size() < 9) return false;
  const auto type = static_cast<Type>(static_cast<std::uint8_t>(payload[0]));
  if (type == Type::Run) return true;
  if (type != Type::Call || payload.size() < 13 + 8) return false;
  std::uint32_t op = 0;
  for (int i = 0; i < 4; ++i) op |= static_cast<std::uint32_t>(static_cast<unsigned char>(payload[9 + i])) << (8 * i);
  return op == static_cast<std::uint32_t>(Op::RunWait) || op == static_cast<std::uint32_t>(Op::WaitsetNext) ||
         op == static_cast<std::uint32_t>(Op::WaiterWait);
}

// Rewrites the trailing deadline of `payload` (if it has one) from this machine's clock to
// time left (to_remaining) or back (from_remaining). RH_DEADLINE_NONE stays as it is.
inline void translate_deadline(std::string& payload, bool to_remaining) {
  if (!has_trailing_deadline(payload)) return;
  const std::size_t at = payload.size() - 8;
  std::uint64_t raw = 0;
  for (int i = 0; i < 8; ++i) raw |= static_cast<std::uint64_t>(static_cast<unsigned char>(payload[at + i])) << (8 * i);
  auto value = static_cast<std::int64_t>(raw);
  if (value == RH_DEADLINE_NONE) return;
  const std::int64_t now = monotonic_ns();
  if (to_remaining) {
    value = value > now ? value - now : 0;
  } else {
    value = value > RH_DEADLINE_NONE - now ? RH_DEADLINE_NONE - 1 : now + value;
  }
  raw = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) payload[at + i] = static_cast<char>((raw >> (8 * i)) & 0xffu);
}

}  // namespace rh::mpi_runner
