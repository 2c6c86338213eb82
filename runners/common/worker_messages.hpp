// Decoding what a worker sends (worker_protocol.hpp), apart from acting on it: one function
// turns a payload into a checked message or throws wire::WireError saying what is wrong, so
// the host's side can be fuzzed without a worker (fuzz/worker_messages_fuzzer.cpp) and acts
// only on messages whose every field was read and checked.
#pragma once

#include "wire.hpp"
#include "worker_protocol.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rh::worker_protocol {

struct DoneMessage {
  std::uint64_t attempt = 0;
  std::int32_t code = 0;
  bool has_result = false;
  std::string_view result;
  bool has_error = false;
  std::string_view error_type, error_message;
};

struct LogMessage {
  std::uint32_t level = 0;  // clamped to RH_LOG_CRITICAL
  bool for_attempt = false;
  std::string_view logger, message;
};

struct ReleaseMessage {
  HandleKind kind = HandleKind::Run;
  std::uint64_t handle = 0;
};

struct Dependency {
  std::uint32_t flags;
  std::uint64_t run;  // a handle
};

// A Call with its arguments; which fields hold something depends on op (worker_protocol.hpp).
struct CallMessage {
  std::uint64_t id = 0;
  Op op = Op::Sleep;
  std::int64_t duration_ns = 0;          // Sleep
  std::string_view task, params;         // Submit
  std::vector<Dependency> dependencies;  // Submit
  std::uint64_t handle = 0;              // RunWait, RunSnapshot, WaitsetAdd/Next (the set)
  std::uint64_t run = 0;                 // WaitsetAdd (the run)
  std::int64_t deadline = 0;             // RunWait, WaitsetNext, WaiterWait
  std::uint64_t run_id = 0;              // WaiterWait
};

struct WorkerMessage {
  Type type = Type::Done;
  DoneMessage done;
  LogMessage log;
  ReleaseMessage release;
  CallMessage call;
};

// A payload from a worker during an attempt: Done, Log, Call, Release or OutOfMemory. Views
// point into `payload`. Throws wire::WireError for anything else or anything malformed.
inline WorkerMessage decode_from_worker(std::string_view payload) {
  wire::Reader in(payload);
  WorkerMessage m;
  const std::uint8_t type = in.u8();
  m.type = static_cast<Type>(type);
  switch (m.type) {
    case Type::Done:
      m.done.attempt = in.u64();
      m.done.code = in.i32();
      m.done.has_result = in.boolean();
      m.done.result = in.str();
      m.done.has_error = in.boolean();
      m.done.error_type = in.str();
      m.done.error_message = in.str();
      if (m.done.code == RH_TASK_WORKER_LOST)
        throw wire::WireError("a worker reported a status only a runner may report");
      break;
    case Type::Log:
      m.log.level = in.u32();
      if (m.log.level > RH_LOG_CRITICAL) m.log.level = RH_LOG_CRITICAL;
      m.log.for_attempt = in.boolean();
      m.log.logger = in.str();
      m.log.message = in.str();
      break;
    case Type::Release: {
      const std::uint32_t kind = in.u32();
      if (kind != static_cast<std::uint32_t>(HandleKind::Run) &&
          kind != static_cast<std::uint32_t>(HandleKind::Waitset)) {
        throw wire::WireError("a Release of handle kind " + std::to_string(kind) + ", which does not exist");
      }
      m.release.kind = static_cast<HandleKind>(kind);
      m.release.handle = in.u64();
      break;
    }
    case Type::OutOfMemory: break;
    case Type::Call: {
      CallMessage& c = m.call;
      c.id = in.u64();
      const std::uint32_t op = in.u32();
      c.op = static_cast<Op>(op);
      switch (c.op) {
        case Op::Sleep: c.duration_ns = in.i64(); break;
        case Op::Submit: {
          c.task = in.str();
          c.params = in.str();
          const std::uint32_t count = in.count(12);
          c.dependencies.reserve(count);
          for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint32_t flags = in.u32();
            c.dependencies.push_back(Dependency{flags, in.u64()});
          }
          break;
        }
        case Op::RunWait:
          c.handle = in.u64();
          c.deadline = in.i64();
          break;
        case Op::RunSnapshot: c.handle = in.u64(); break;
        case Op::WaitsetCreate: break;
        case Op::WaitsetAdd:
          c.handle = in.u64();
          c.run = in.u64();
          break;
        case Op::WaitsetNext:
          c.handle = in.u64();
          c.deadline = in.i64();
          break;
        case Op::WaiterWait:
          c.run_id = in.u64();
          c.deadline = in.i64();
          break;
        default: throw wire::WireError("a call of host function " + std::to_string(op) + ", which does not exist");
      }
      break;
    }
    default:
      throw wire::WireError("a message of type " + std::to_string(type) + " (" + type_name(type) + ") out of place");
  }
  in.expect_end();
  return m;
}

}  // namespace rh::worker_protocol
