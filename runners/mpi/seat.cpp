#include "seat.hpp"

#include <runner_host/abi_text.hpp>
#include <runner_host/detail/host.hpp>

#include <algorithm>
#include <atomic>

namespace rh::mpi_runner {
namespace {

using worker_protocol::Type;

// How often a waiting host thread looks whether its attempt should stop (Ctrl-C, a cancel):
// the engine has no way to wake a thread waiting on a slot's mailbox.
constexpr auto kStopCheck = std::chrono::milliseconds(20);

void set_error(rh_context* ctx, std::string_view type, std::string_view message) {
  detail::host().ctx_set_error(ctx, to_rh_str(type), to_rh_str(message));
}

}  // namespace

std::uint64_t Seat::next_attempt_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool Seat::usable() const {
  std::lock_guard<std::mutex> lock(link_.mutex);
  return link_.lost.empty();
}

std::int32_t Seat::execute(const rh_remote_attempt& attempt, bool may_resend) {
  const bool outermost = frames_.empty();
  const std::uint64_t id = next_attempt_id();
  std::string run = remote::AttemptHost::run_frame(id, attempt).substr(wire::kHeaderSize);
  translate_deadline(run, true);
  std::uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> lock(link_.mutex);
    if (link_.lost.empty() && outermost) {
      ticket = link_.next_ticket++;
      link_.turns.push_back(ticket);
    }
    // Posted under the link's lock: the order of turns is the order on the wire.
    if (link_.lost.empty()) coordinator_.post(link_, outermost ? Kind::Run : Kind::Frame, run);
  }
  frames_.push_back(id);
  std::int32_t code = RH_TASK_FAILED;
  Ending ending = Ending::RankLost;
  try {
    ending = serve(id, attempt, ticket, &code);
  } catch (const std::exception& e) {  // nothing may cross the C boundary above
    coordinator_.give_up_rank(link_.rank, std::string("failed in the runner: ") + e.what());
  }
  frames_.pop_back();
  if (outermost) end_turn(ticket);
  if (ending == Ending::Done) return code;
  if (ending == Ending::WorkerDied) {
    // That process's handles died with it; the slot goes on with its replacement.
    const std::string why = died_;
    if (outermost) {
      died_.clear();
      std::lock_guard<std::mutex> lock(link_.mutex);
      link_.calls.release_all();
    }
    set_error(attempt.call->ctx, "rh::WorkerLost", link_.name + ": " + why + " while this attempt ran on it");
    return RH_TASK_WORKER_LOST;
  }
  if (outermost) {
    // Nothing of a lost rank's handles is of use to anyone now.
    std::lock_guard<std::mutex> lock(link_.mutex);
    link_.calls.release_all();
  }
  if (outermost && may_resend) return remote::kSendElsewhere;
  std::string why;
  {
    std::lock_guard<std::mutex> lock(link_.mutex);
    why = link_.lost;
  }
  set_error(attempt.call->ctx, "rh::WorkerLost", why + " while this attempt ran on it (worker rank lost)");
  return RH_TASK_WORKER_LOST;
}

void Seat::end_turn(std::uint64_t ticket) {
  {
    std::lock_guard<std::mutex> lock(link_.mutex);
    const auto it = std::find(link_.turns.begin(), link_.turns.end(), ticket);
    if (it != link_.turns.end()) link_.turns.erase(it);
  }
  link_.changed.notify_all();
}

Seat::Ending Seat::serve(std::uint64_t attempt_id, const rh_remote_attempt& attempt, std::uint64_t ticket,
                         std::int32_t* code) {
  rh_context* ctx = attempt.call->ctx;
  const bool outermost = frames_.size() == 1;
  bool stop_sent = false;
  for (;;) {
    if (!died_.empty()) return Ending::WorkerDied;  // under a nested attempt that saw it
    std::string message;
    {
      std::unique_lock<std::mutex> lock(link_.mutex);
      // A nested attempt's thread already has the turn of its outermost one.
      const auto my_turn = [&] { return !outermost || (!link_.turns.empty() && link_.turns.front() == ticket); };
      link_.changed.wait_for(lock, kStopCheck,
                             [&] { return !link_.lost.empty() || (my_turn() && !link_.inbox.empty()); });
      if (!link_.lost.empty()) return Ending::RankLost;
      if (my_turn() && !link_.inbox.empty()) {
        message = std::move(link_.inbox.front());
        link_.inbox.pop_front();
      }
    }
    if (message.empty()) {
      if (!stop_sent && detail::host().ctx_status(ctx) == RH_CANCELLED) {
        stop_sent = true;
        coordinator_.post(link_, Kind::Frame, remote::AttemptHost::stop_frame(attempt_id).substr(wire::kHeaderSize));
      }
      continue;
    }
    if (message[0] == kWorkerDiedMark) {
      died_ = message.substr(1);
      return Ending::WorkerDied;
    }
    translate_deadline(message, false);
    remote::MessageOutcome outcome;
    try {
      if (!message.empty() && static_cast<Type>(static_cast<std::uint8_t>(message[0])) == Type::Log) {
        // Which rank said it, in rank 0's log.
        const worker_protocol::WorkerMessage m = worker_protocol::decode_from_worker(message);
        const std::string text = link_.log_prefix + std::string(m.log.message);
        if (m.log.for_attempt) {
          detail::host().ctx_log(ctx, m.log.level, to_rh_str(text));
        } else {
          detail::host().log(m.log.level, to_rh_str(m.log.logger), to_rh_str(text));
        }
        continue;
      }
      outcome = link_.calls.handle(attempt_id, ctx, message);
    } catch (const wire::WireError& e) {
      coordinator_.give_up_rank(link_.rank, std::string("sent a malformed message (") + e.what() + ")");
      return Ending::RankLost;
    } catch (const remote::ProtocolViolation& e) {
      coordinator_.give_up_rank(link_.rank, e.what());
      return Ending::RankLost;
    }
    if (!outcome.reply.empty()) {
      std::string reply = outcome.reply.substr(wire::kHeaderSize);
      coordinator_.post(link_, Kind::Frame, reply);
    }
    if (outcome.done) {
      *code = outcome.code;
      return Ending::Done;
    }
  }
}

}  // namespace rh::mpi_runner
