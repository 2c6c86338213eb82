#include "worker.hpp"

#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>
#include <stdexcept>

namespace rh::process_worker {
namespace {

using worker_protocol::Op;
using worker_protocol::Type;

thread_local Worker* tl_worker = nullptr;

rh_time_ns monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<rh_time_ns>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// How often ctx_status looks for a Stop notice: a task may poll ctx.cancelled() in a tight
// loop, and a read per poll would cost it more than the work.
constexpr rh_time_ns kNoticeInterval = 1000000;  // 1 ms

struct ErrorText {
  std::string type, message;
};

void sink_set(rh_error_sink* sink, rh_str type, rh_str message) {
  auto* text = static_cast<ErrorText*>(sink->host_data);
  text->type.assign(type.data == nullptr ? "" : type.data, type.size);
  text->message.assign(message.data == nullptr ? "" : message.data, message.size);
}

// The frame sent when memory runs out, made while there is memory to make it.
std::string g_out_of_memory_frame;
int g_out_of_memory_fd = -1;

void on_out_of_memory() {
  // No allocation from here on: the frame exists, write(2) needs none.
  if (g_out_of_memory_fd >= 0) {
    const ssize_t ignored = write(g_out_of_memory_fd, g_out_of_memory_frame.data(), g_out_of_memory_frame.size());
    (void)ignored;
  }
  std::_Exit(worker_protocol::kExitOutOfMemory);
}

}  // namespace

Worker& the_worker() { return *tl_worker; }
void set_the_worker(Worker* worker) { tl_worker = worker; }

void limit_memory(int fd, std::uint64_t max_mb) {
  g_out_of_memory_frame = wire::Writer().u8(static_cast<std::uint8_t>(Type::OutOfMemory)).finish();
  g_out_of_memory_fd = fd;
  std::set_new_handler(&on_out_of_memory);
  if (max_mb == 0) return;
  const rlim_t bytes = static_cast<rlim_t>(max_mb) << 20;
  const rlimit limit{bytes, bytes};
  if (setrlimit(RLIMIT_AS, &limit) != 0) std::perror("runner-host worker: setrlimit(RLIMIT_AS)");
}

Worker::Worker(Channel& channel, int memory_fd) : channel_(channel), memory_fd_(memory_fd) {}

wire::Reader Worker::Answer::rest() const {
  wire::Reader in(payload);
  in.u8();   // type
  in.u64();  // call
  in.i32();  // status
  return in;
}

int Worker::serve() {
  const std::string first = channel_.receive();
  // Ended before it began: the host (an MPI job's rank 0) gave up before any attempt.
  if (!first.empty() && static_cast<Type>(static_cast<std::uint8_t>(first[0])) == Type::Shutdown) return 0;
  if (!init(first)) return worker_protocol::kExitLoadFailed;
  for (;;) {
    const std::string payload = channel_.receive();
    switch (static_cast<Type>(static_cast<std::uint8_t>(payload.empty() ? 0 : payload[0]))) {
      case Type::Run: run(payload); break;
      case Type::Stop: break;  // for an attempt that already returned
      case Type::Shutdown: return 0;
      default: host_gone("the host sent a message out of place");
    }
  }
}

bool Worker::init(const std::string& payload) {
  std::uint64_t max_mb = 0;
  std::vector<std::string> paths;
  try {
    wire::Reader in(payload);
    if (static_cast<Type>(in.u8()) != Type::Init) host_gone("the host's first message is not Init");
    const std::uint32_t version = in.u32();
    if (version != worker_protocol::kVersion) {
      host_gone(("the host speaks worker protocol " + std::to_string(version) + ", this worker " +
                 std::to_string(worker_protocol::kVersion))
                    .c_str());
    }
    host_name_ = std::string(in.str());
    host_version_ = std::string(in.str());
    max_mb = in.u64();
    const std::uint32_t count = in.count(4);
    for (std::uint32_t i = 0; i < count; ++i) paths.emplace_back(in.str());
    in.expect_end();
  } catch (const wire::WireError& e) {
    host_gone(e.what());
  }
  wire::Writer ready;
  try {
    for (const std::string& path : paths) library(path);
  } catch (const std::exception& e) {
    channel_.send(wire::Writer().u8(static_cast<std::uint8_t>(Type::LoadFailed)).str(e.what()).finish());
    return false;
  }
  // The limit comes after loading: the libraries' own code and data are not the tasks'.
  if (memory_fd_ >= 0) limit_memory(memory_fd_, max_mb);
  ready.u8(static_cast<std::uint8_t>(Type::Ready))
      .u32(worker_protocol::kVersion)
      .u32(static_cast<std::uint32_t>(getpid()));
  channel_.send(ready.finish());
  return true;
}

const Library& Worker::library(std::string_view path) {
  for (const Library& known : libraries_) {
    if (known.path == path) return known;
  }
  const std::string file(path);
  const std::string plugin = "plugin '" + file + "'";
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw std::runtime_error(plugin + ": " + dlerror());
  auto entry = reinterpret_cast<rh_plugin_entry_fn>(dlsym(handle, RH_ENTRY_SYMBOL));
  if (entry == nullptr) throw std::runtime_error(plugin + " exports no " RH_ENTRY_SYMBOL);
  const rh_host_offer offer{sizeof(rh_host_offer), RH_ABI_VERSION_MAJOR, RH_ABI_VERSION_MINOR, worker_host_api()};
  const rh_plugin_descriptor* descriptor = entry(&offer);
  if (descriptor == nullptr || descriptor->kind != RH_PLUGIN_KIND_TASK_LIBRARY ||
      descriptor->abi_major != RH_ABI_VERSION_MAJOR || descriptor->load_library == nullptr) {
    throw std::runtime_error(plugin + " is not a task library this worker can load");
  }
  ErrorText error;
  rh_error_sink sink{sizeof(rh_error_sink), &error, &sink_set};
  const rh_task_library* tasks = descriptor->load_library(&sink);
  if (tasks == nullptr) throw std::runtime_error(plugin + ": " + error.type + ": " + error.message);
  Library loaded;
  loaded.path = file;
  // An older library's task structs are smaller than ours: the stride is their own size,
  // as the host reads them (the host already checked the table when it loaded the file).
  const std::size_t stride = tasks->task_count > 0 ? tasks->tasks[0].struct_size : 0;
  for (std::size_t i = 0; i < tasks->task_count; ++i) {
    const auto& def = *reinterpret_cast<const rh_task_def*>(reinterpret_cast<const char*>(tasks->tasks) + i * stride);
    loaded.tasks.emplace(std::string(def.name.data, def.name.size), &def);
  }
  libraries_.push_back(std::move(loaded));
  return libraries_.back();
}

void Worker::run(const std::string& payload) {
  Attempt attempt;
  std::string library_path, task, run_name, params;
  std::uint64_t run_id = 0, flow_run_id = 0;
  std::uint32_t run_count = 0;
  try {
    wire::Reader in(payload);
    in.u8();
    attempt.id = in.u64();
    run_id = in.u64();
    flow_run_id = in.u64();
    run_count = in.u32();
    library_path = in.str();
    task = in.str();
    run_name = in.str();
    params = in.str();
    attempt.deadline = in.i64();
    in.expect_end();
  } catch (const wire::WireError& e) {
    host_gone(e.what());
  }

  std::int32_t code = RH_TASK_FAILED;
  const rh_task_def* def = nullptr;
  try {
    const Library& lib = library(library_path);
    const auto it = lib.tasks.find(task);
    if (it == lib.tasks.end()) throw std::runtime_error("task '" + task + "' is not in " + library_path);
    def = it->second;
  } catch (const std::exception& e) {
    attempt.has_error = true;
    attempt.error_type = "rh::WorkerError";
    attempt.error_message = e.what();
  }
  if (def != nullptr) {
    attempts_.push_back(&attempt);
    const rh_task_call call{sizeof(rh_task_call),
                            reinterpret_cast<rh_context*>(&attempt),
                            run_id,
                            flow_run_id,
                            run_count,
                            rh_str{task.data(), task.size()},
                            rh_str{run_name.data(), run_name.size()},
                            rh_str{params.data(), params.size()}};
    code = def->run(def->user_data, &call);
    // Done callbacks whose runs ended run now; the others once their runs end.
    for (PendingCallback& callback : attempt.callbacks) {
      if (!callback.ready()) callback.wait();
      callback.call();
    }
    attempts_.pop_back();
  }
  // What the task printed reaches the host before its outcome does.
  std::fflush(stdout);
  std::fflush(stderr);
  wire::Writer done;
  done.u8(static_cast<std::uint8_t>(Type::Done)).u64(attempt.id).i32(code);
  done.u8(attempt.has_result ? 1 : 0).str(attempt.result);
  done.u8(attempt.has_error ? 1 : 0).str(attempt.error_type).str(attempt.error_message);
  channel_.send(done.finish());
}

Worker::Answer Worker::call(Op op, const std::function<void(wire::Writer&)>& arguments) {
  const std::uint64_t id = next_call_++;
  wire::Writer out;
  out.u8(static_cast<std::uint8_t>(Type::Call)).u64(id).u32(static_cast<std::uint32_t>(op));
  arguments(out);
  channel_.send(out.finish());
  for (;;) {
    std::string payload = channel_.receive();
    if (!payload.empty() && static_cast<Type>(static_cast<std::uint8_t>(payload[0])) == Type::Reply) {
      try {
        wire::Reader in(payload);
        in.u8();
        if (in.u64() != id) host_gone("the host answered another call");
        const std::int32_t status = in.i32();
        return Answer{std::move(payload), status};
      } catch (const wire::WireError& e) {
        host_gone(e.what());
      }
    }
    serve_meanwhile(payload);
  }
}

void Worker::serve_meanwhile(const std::string& payload) {
  switch (static_cast<Type>(static_cast<std::uint8_t>(payload.empty() ? 0 : payload[0]))) {
    case Type::Run: run(payload); return;  // an attempt the host runs in place of waiting
    case Type::Stop:
      try {
        wire::Reader in(payload);
        in.u8();
        mark_stopped(in.u64());
      } catch (const wire::WireError& e) {
        host_gone(e.what());
      }
      return;
    case Type::Shutdown: std::_Exit(0);
    default: host_gone("the host sent a message out of place");
  }
}

void Worker::mark_stopped(std::uint64_t attempt_id) {
  for (Attempt* attempt : attempts_) {
    if (attempt->id == attempt_id) attempt->stop = true;
  }
}

void Worker::drain_notices() {
  std::string payload;
  while (channel_.try_receive(&payload)) serve_meanwhile(payload);
}

std::int32_t Worker::status(Attempt& attempt) {
  const rh_time_ns now = monotonic_now();
  if (now - last_drain_ >= kNoticeInterval) {
    last_drain_ = now;
    drain_notices();
  }
  if (attempt.stop) return RH_CANCELLED;
  if (attempt.deadline != RH_DEADLINE_NONE && now >= attempt.deadline) return RH_TIMED_OUT_ATTEMPT;
  return RH_OK;
}

void Worker::release(worker_protocol::HandleKind kind, std::uint64_t handle) {
  channel_.send(wire::Writer()
                    .u8(static_cast<std::uint8_t>(Type::Release))
                    .u32(static_cast<std::uint32_t>(kind))
                    .u64(handle)
                    .finish());
}

void Worker::log(std::uint32_t level, bool for_attempt, std::string_view logger, std::string_view message) {
  channel_.send(wire::Writer()
                    .u8(static_cast<std::uint8_t>(Type::Log))
                    .u32(level)
                    .u8(for_attempt ? 1 : 0)
                    .str(logger)
                    .str(message)
                    .finish());
}

}  // namespace rh::process_worker
