#include "attempt_host.hpp"

#include <runner_host/abi_text.hpp>
#include <runner_host/detail/host.hpp>

#include <vector>

namespace rh::remote {
namespace {

using worker_protocol::Op;
using worker_protocol::Type;

}  // namespace

std::string AttemptHost::run_frame(std::uint64_t attempt_id, const rh_remote_attempt& attempt) {
  const rh_task_call& call = *attempt.call;
  wire::Writer run;
  run.u8(static_cast<std::uint8_t>(Type::Run)).u64(attempt_id).u64(call.run_id).u64(call.flow_run_id);
  run.u32(call.run_count).str(to_string_view(attempt.library_path)).str(to_string_view(call.task_name));
  run.str(to_string_view(call.run_name)).str(to_string_view(call.params_json)).i64(attempt.deadline);
  return run.finish();
}

std::string AttemptHost::stop_frame(std::uint64_t attempt_id) {
  return wire::Writer().u8(static_cast<std::uint8_t>(Type::Stop)).u64(attempt_id).finish();
}

MessageOutcome AttemptHost::handle(std::uint64_t attempt_id, rh_context* ctx, const std::string& payload) {
  const worker_protocol::WorkerMessage m = worker_protocol::decode_from_worker(payload);
  const rh_host_api& host = detail::host();
  MessageOutcome outcome;
  outcome.type = m.type;
  switch (m.type) {
    case Type::Done:
      if (m.done.attempt != attempt_id) {
        throw ProtocolViolation("reported the end of attempt " + std::to_string(m.done.attempt) +
                                " while it ran attempt " + std::to_string(attempt_id));
      }
      if (m.done.has_result) host.ctx_set_result(ctx, to_rh_str(m.done.result));
      if (m.done.has_error) host.ctx_set_error(ctx, to_rh_str(m.done.error_type), to_rh_str(m.done.error_message));
      outcome.done = true;
      outcome.code = m.done.code;
      break;
    case Type::Log:
      if (m.log.for_attempt) {
        host.ctx_log(ctx, m.log.level, to_rh_str(m.log.message));
      } else {
        host.log(m.log.level, to_rh_str(m.log.logger), to_rh_str(m.log.message));
      }
      break;
    case Type::Call: outcome.reply = answer_call(ctx, m.call); break;
    case Type::Release: {
      const bool is_waitset = m.release.kind == worker_protocol::HandleKind::Waitset;
      void* object = find_handle(m.release.handle, is_waitset);
      handles_.erase(m.release.handle);
      if (is_waitset) {
        host.waitset_destroy(static_cast<rh_waitset*>(object));
      } else {
        host.run_release(static_cast<rh_run*>(object));
      }
      break;
    }
    case Type::OutOfMemory: break;                                                         // the caller notes it
    default: throw ProtocolViolation("sent a message the decoder let through unhandled");  // unreachable
  }
  return outcome;
}

std::string AttemptHost::answer_call(rh_context* ctx, const worker_protocol::CallMessage& call) {
  const rh_host_api& host = detail::host();
  wire::Writer reply;
  reply.u8(static_cast<std::uint8_t>(Type::Reply)).u64(call.id);
  ErrorCapture error;
  switch (call.op) {
    case Op::Sleep: reply.i32(host.ctx_sleep(ctx, call.duration_ns)); break;
    case Op::Submit: {
      std::vector<rh_dependency> deps;
      deps.reserve(call.dependencies.size());
      for (const worker_protocol::Dependency& dep : call.dependencies) {
        deps.push_back(
            rh_dependency{sizeof(rh_dependency), dep.flags, static_cast<rh_run*>(find_handle(dep.run, false))});
      }
      const rh_submit_request request{sizeof(rh_submit_request), to_rh_str(call.task), to_rh_str(call.params),
                                      deps.data(), deps.size()};
      rh_run* run = nullptr;
      const std::int32_t status = host.submit(ctx, &request, &run, &error.sink);
      if (status == RH_OK) {
        reply.i32(RH_OK).u64(add_handle(run, false)).u64(host.run_id(run)).str("");
      } else {
        reply.i32(status).u64(0).u64(0).str(error.message_or_type());
      }
      break;
    }
    case Op::RunWait: {
      auto* run = static_cast<rh_run*>(find_handle(call.handle, false));
      const std::int32_t status = host.run_wait(run, call.deadline, &error.sink);
      reply.i32(status).str(error.message_or_type());
      break;
    }
    case Op::RunSnapshot: {
      auto* run = static_cast<rh_run*>(find_handle(call.handle, false));
      reply.i32(RH_OK);
      host.run_snapshot(
          run,
          [](void* out, const rh_run_view* view) {
            worker_protocol::write_view(*static_cast<wire::Writer*>(out), *view);
          },
          &reply);
      break;
    }
    case Op::WaitsetCreate: reply.i32(RH_OK).u64(add_handle(host.waitset_create(), true)); break;
    case Op::WaitsetAdd: {
      auto* set = static_cast<rh_waitset*>(find_handle(call.handle, true));
      auto* run = static_cast<rh_run*>(find_handle(call.run, false));
      host.waitset_add(set, run);
      reply.i32(RH_OK);
      break;
    }
    case Op::WaitsetNext: {
      auto* set = static_cast<rh_waitset*>(find_handle(call.handle, true));
      rh_run* run = nullptr;
      const std::int32_t status = host.waitset_next(set, call.deadline, &run);
      reply.i32(status).u64(status == RH_OK ? host.run_id(run) : 0);
      break;
    }
    case Op::WaiterWait: {
      rh_waiter* waiter = host.waiter_instance();
      struct Seen {
        bool any = false;
        wire::Writer view;
      } seen;
      std::int32_t status = RH_ERROR;
      if (waiter == nullptr) {
        error.message = "the session's waiter is not available";
      } else {
        status = host.waiter_wait(
            waiter, call.run_id, call.deadline,
            [](void* out, const rh_run_view* view) {
              auto* s = static_cast<Seen*>(out);
              s->any = true;
              worker_protocol::write_view(s->view, *view);
            },
            &seen, &error.sink);
        host.waiter_release(waiter);
      }
      reply.i32(status).str(error.message_or_type()).u8(seen.any ? 1 : 0);
      if (seen.any) {
        // The view was written as a frame of its own: append its payload only.
        const std::string& bytes = seen.view.finish();
        reply.raw(std::string_view(bytes).substr(wire::kHeaderSize));
      }
      break;
    }
  }
  return reply.finish();
}

void AttemptHost::release_all() {
  if (handles_.empty()) return;
  const rh_host_api& host = detail::host();
  for (const auto& entry : handles_) {
    if (entry.second.is_waitset) {
      host.waitset_destroy(static_cast<rh_waitset*>(entry.second.object));
    } else {
      host.run_release(static_cast<rh_run*>(entry.second.object));
    }
  }
  handles_.clear();
}

std::uint64_t AttemptHost::add_handle(void* object, bool is_waitset) {
  const std::uint64_t handle = next_handle_++;
  handles_.emplace(handle, Handle{object, is_waitset});
  return handle;
}

void* AttemptHost::find_handle(std::uint64_t handle, bool is_waitset) const {
  const auto it = handles_.find(handle);
  if (it == handles_.end() || it->second.is_waitset != is_waitset) {
    throw ProtocolViolation("named a " + std::string(is_waitset ? "wait set" : "run") + " it was never given (handle " +
                            std::to_string(handle) + ")");
  }
  return it->second.object;
}

}  // namespace rh::remote
