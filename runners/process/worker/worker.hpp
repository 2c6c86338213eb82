// One worker process of the process runner: it loads the session's task libraries, runs the
// attempts the host sends it one at a time (nesting, while it waits, the attempts the host
// runs in place), and turns the host calls its task code makes into messages
// (docs/worker-protocol.md). Single-threaded: nothing here takes a lock.
#pragma once

#include "channel.hpp"
#include "worker_protocol.hpp"

#include <runner_host/abi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rh::process_worker {

// A done callback a task registered (run_on_done, the waiter's): a worker has no other
// thread to run it on later, so it runs once its run ended, at the latest when the
// registering attempt returns.
struct PendingCallback {
  std::function<void()> call;
  std::function<bool()> ready;  // whether it may run now without waiting
  std::function<void()> wait;   // waits until it may
};

// One executing attempt; the rh_context its task code is given points here.
struct Attempt {
  std::uint64_t id = 0;
  rh_time_ns deadline = RH_DEADLINE_NONE;
  bool stop = false;  // the host sent Stop
  bool has_result = false;
  std::string result;
  bool has_error = false;
  std::string error_type, error_message;
  std::vector<PendingCallback> callbacks;
};

struct Library {
  std::string path;
  std::map<std::string, const rh_task_def*, std::less<>> tasks;
};

class Worker {
 public:
  // Serves the host at the other end of `channel`. `memory_fd` is where the worker writes
  // OutOfMemory when memory runs out (its socket), or -1 for a worker that shares its
  // process (a slot of an MPI rank): no limit, no handler of its own.
  Worker(Channel& channel, int memory_fd);

  // Init, Ready, then attempts until Shutdown or the host closes the socket. The exit status.
  int serve();

  // A host call of the task code: sends Call, serves whatever the host sends meanwhile (a
  // nested Run, Stop), and returns the Reply's payload after its header and status.
  struct Answer {
    std::string payload;
    std::int32_t status;
    wire::Reader rest() const;
  };
  Answer call(worker_protocol::Op op, const std::function<void(wire::Writer&)>& arguments);
  void release(worker_protocol::HandleKind kind, std::uint64_t handle);
  void log(std::uint32_t level, bool for_attempt, std::string_view logger, std::string_view message);

  // What rh_host_api.ctx_status answers for the attempt.
  std::int32_t status(Attempt& attempt);
  Attempt* innermost() noexcept { return attempts_.empty() ? nullptr : attempts_.back(); }
  const std::string& host_name() const noexcept { return host_name_; }
  const std::string& host_version() const noexcept { return host_version_; }

 private:
  // false after LoadFailed was sent: the worker has nothing to serve.
  bool init(const std::string& payload);
  // The library at `path`, loading it if this worker has not yet. Throws std::runtime_error.
  const Library& library(std::string_view path);
  void run(const std::string& payload);
  // Serves a message that arrived while waiting (Run, Stop); exits the worker on anything else.
  void serve_meanwhile(const std::string& payload);
  // Reads the Stop notices that arrived while the task ran, without waiting.
  void drain_notices();
  void mark_stopped(std::uint64_t attempt_id);

  Channel& channel_;
  int memory_fd_;
  std::vector<Library> libraries_;
  std::vector<Attempt*> attempts_;  // innermost last
  std::uint64_t next_call_ = 1;
  rh_time_ns last_drain_ = 0;
  std::string host_name_ = "runner-host", host_version_;
};

// The worker of the calling thread (a process has one; an MPI rank one per slot thread):
// rh_host_api functions that take no context reach it here.
Worker& the_worker();
void set_the_worker(Worker* worker);

// The table task libraries in this process are offered (host_api.cpp).
const rh_host_api* worker_host_api();

// Sets the address space limit and arranges that running out of memory is reported.
void limit_memory(int fd, std::uint64_t max_mb);

}  // namespace rh::process_worker
