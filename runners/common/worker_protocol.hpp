// The worker protocol (docs/worker-protocol.md): what a host-side runner and a worker process
// say to each other about attempts, whatever carries the frames (a socketpair for the process
// runner). Every message is one frame (wire.hpp) whose payload starts with its type.
//
// Host -> worker: Init (once), Run (an attempt), Reply (to a Call), Stop (an attempt must
// stop), Shutdown. Worker -> host: Ready / LoadFailed (once, after Init), Done (an attempt's
// outcome), Log, Call (a host call of the task's code, answered by one Reply), Release (a
// handle the task let go of), OutOfMemory (just before the worker exits for lack of memory).
//
// A worker runs one attempt at a time, except that while it waits for a Reply it may be sent
// a Run for an attempt nested in the waiting one (the host runs a run its task waits for
// right there, as the in-process runners do): the two sides' stacks nest alike, so every
// Call, Log and Done belongs to the innermost attempt the worker was sent.
#pragma once

#include "wire.hpp"

#include <runner_host/abi.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rh::worker_protocol {

// Bumped whenever a message changes; Init carries it and Ready repeats it.
inline constexpr std::uint32_t kVersion = 1;

enum class Type : std::uint8_t {
  // host -> worker
  Init = 1,
  Run = 2,
  Reply = 3,
  Stop = 4,
  Shutdown = 5,
  // worker -> host
  Ready = 16,
  LoadFailed = 17,
  Done = 18,
  Log = 19,
  Call = 20,
  Release = 21,
  OutOfMemory = 22,
};

// What a Call asks for (the rh_host_api function it stands for).
enum class Op : std::uint32_t {
  Sleep = 1,          // i64 duration_ns                 -> i32 status
  Submit = 2,         // str task, str params, deps       -> i32 status, u64 handle, u64 run_id, str error
  RunWait = 3,        // u64 handle, i64 deadline         -> i32 status, str error
  RunSnapshot = 4,    // u64 handle                       -> i32 status, view
  WaitsetCreate = 5,  //                                  -> i32 status, u64 handle
  WaitsetAdd = 6,     // u64 set, u64 run                 -> i32 status
  WaitsetNext = 7,    // u64 set, i64 deadline            -> i32 status, u64 run_id (of a run added)
  WaiterWait = 8,     // u64 run_id, i64 deadline         -> i32 status, str error, bool has_view, view
};

// What a Release lets go of.
enum class HandleKind : std::uint32_t { Run = 1, Waitset = 2 };

// The exit status of a worker that ran out of memory (after its OutOfMemory message), and of
// one whose host went away or broke the protocol.
inline constexpr int kExitOutOfMemory = 86;
inline constexpr int kExitHostGone = 87;
inline constexpr int kExitLoadFailed = 2;

inline const char* type_name(std::uint8_t type) {
  switch (static_cast<Type>(type)) {
    case Type::Init: return "Init";
    case Type::Run: return "Run";
    case Type::Reply: return "Reply";
    case Type::Stop: return "Stop";
    case Type::Shutdown: return "Shutdown";
    case Type::Ready: return "Ready";
    case Type::LoadFailed: return "LoadFailed";
    case Type::Done: return "Done";
    case Type::Log: return "Log";
    case Type::Call: return "Call";
    case Type::Release: return "Release";
    case Type::OutOfMemory: return "OutOfMemory";
  }
  return "unknown";
}

// A run's snapshot (rh_run_view) as it crosses: the strings are owned here.
struct RunView {
  std::uint64_t run_id = 0;
  std::uint64_t flow_run_id = 0;
  std::string task_name, run_name;
  std::uint32_t state_type = 0;
  std::uint32_t run_count = 0;
  std::string state_name, state_message, params_json, result_json, error_type, error_message;
  bool is_final = false;

  rh_run_view view() const {
    const auto s = [](const std::string& text) { return rh_str{text.data(), text.size()}; };
    return rh_run_view{sizeof(rh_run_view), run_id,        flow_run_id,      s(task_name),     s(run_name),
                       state_type,          run_count,     s(state_name),    s(state_message), s(params_json),
                       s(result_json),      s(error_type), s(error_message), is_final};
  }
};

inline void write_view(wire::Writer& out, const rh_run_view& v) {
  const auto s = [](rh_str text) { return std::string_view(text.data == nullptr ? "" : text.data, text.size); };
  out.u64(v.run_id).u64(v.flow_run_id).str(s(v.task_name)).str(s(v.run_name)).u32(v.state_type).u32(v.run_count);
  out.str(s(v.state_name)).str(s(v.state_message)).str(s(v.params_json)).str(s(v.result_json));
  out.str(s(v.error_type)).str(s(v.error_message)).u8(v.is_final ? 1 : 0);
}

inline RunView read_view(wire::Reader& in) {
  RunView v;
  v.run_id = in.u64();
  v.flow_run_id = in.u64();
  v.task_name = in.str();
  v.run_name = in.str();
  v.state_type = in.u32();
  v.run_count = in.u32();
  v.state_name = in.str();
  v.state_message = in.str();
  v.params_json = in.str();
  v.result_json = in.str();
  v.error_type = in.str();
  v.error_message = in.str();
  v.is_final = in.boolean();
  return v;
}

}  // namespace rh::worker_protocol
