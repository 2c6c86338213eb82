// The host's side of the attempts one worker runs (docs/worker-protocol.md), whatever carries
// the frames: it builds an attempt's Run frame, and acts on what the worker sends during it
// (Done and Log onto the attempt's context, each Call answered through rh_host_api with the
// handles this worker was given). A process runner's lane and an MPI runner's seat both use
// it; what differs between them is only how frames travel and how a worker is lost.
#pragma once

#include "worker_messages.hpp"

#include <runner_host/abi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace rh::remote {

// A worker said something it may not: it is given up, and its attempt ends Crashed.
class ProtocolViolation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What one message meant for the attempt it arrived in.
struct MessageOutcome {
  worker_protocol::Type type = worker_protocol::Type::Log;
  bool done = false;      // Done: the attempt's result or error is on its context
  std::int32_t code = 0;  // Done: its RH_TASK_* code
  std::string reply;      // Call: the Reply frame to send back
};

class AttemptHost {
 public:
  AttemptHost() = default;
  ~AttemptHost() { release_all(); }
  AttemptHost(const AttemptHost&) = delete;
  AttemptHost& operator=(const AttemptHost&) = delete;

  // The Run frame of `attempt`, known to the worker as `attempt_id`.
  static std::string run_frame(std::uint64_t attempt_id, const rh_remote_attempt& attempt);
  static std::string stop_frame(std::uint64_t attempt_id);

  // Acts on one payload the worker sent while attempt `attempt_id` (on `ctx`) was its
  // innermost. Throws wire::WireError for a malformed one, ProtocolViolation for one it may
  // not send (another attempt's Done, a handle it was never given).
  MessageOutcome handle(std::uint64_t attempt_id, rh_context* ctx, const std::string& payload);

  // Lets go of every run and wait set the worker still holds (it is gone, or retired).
  void release_all();

 private:
  std::string answer_call(rh_context* ctx, const worker_protocol::CallMessage& call);
  std::uint64_t add_handle(void* object, bool is_waitset);
  void* find_handle(std::uint64_t handle, bool is_waitset) const;

  struct Handle {
    void* object;
    bool is_waitset;
  };
  std::unordered_map<std::uint64_t, Handle> handles_;
  std::uint64_t next_handle_ = 1;
};

}  // namespace rh::remote
