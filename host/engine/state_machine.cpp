// The life of a run, in one place: the legal transitions of its state (a table, from -> to)
// and the driver that moves it through its phases (engine/run.hpp):
//
//   Created -> Inputs -> Slots -> Queued -> Attempt -> Finishing -> Done
//                          ^                   |
//                          |                   v
//                    AwaitingRetry <------ Deciding ------> (retry now) Attempt / Queued
//
// drive() runs one step after the other. A step that has to wait parks the run, keeping its
// phase, and returns; whoever ends the wait drives the run on from there: the last upstream
// to end (Inputs), a release of tag slots (Queued), the runner's work item (a queued
// attempt, a retry condition to ask, final hooks to run), a timer (the retry delay is over;
// an attempt's deadline passed). User code (tasks, hooks, retry conditions) runs only where
// `where.on_worker`; anywhere else the run is handed to the runner first. The steps live in
// small files beside this one: inputs.cpp, slots.cpp, attempt.cpp, timeouts.cpp, retry.cpp,
// hooks.cpp.
#include "engine/state_machine.hpp"

#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "runtime/signal_stack.hpp"

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

namespace rh::host {
namespace {

using S = StateId;

constexpr int row_of(S state) { return static_cast<int>(state); }
constexpr int kFirstState = kStateCount;  // the row of "no state yet"

constexpr std::uint16_t states(std::initializer_list<S> list) {
  std::uint16_t bits = 0;
  for (S state : list) bits = static_cast<std::uint16_t>(bits | (1u << static_cast<int>(state)));
  return bits;
}

// What an executing attempt may end in, or move to for a retry.
constexpr std::uint16_t kAfterAttempt =
    states({S::Completed, S::Cached, S::Failed, S::TimedOut, S::Crashed, S::Cancelled, S::AwaitingRetry, S::Retrying});

constexpr TransitionTable make_table() {
  TransitionTable table{};
  table.allowed[kFirstState] = states({S::Pending});
  // Pending: an upstream did not complete (NotReady), the first attempt starts (Running),
  // its parameters or name cannot be resolved (Failed), the runner is gone (Crashed), the
  // host was interrupted or a tag's limit is 0 (Cancelled).
  table.allowed[row_of(S::Pending)] = states({S::NotReady, S::Running, S::Failed, S::Crashed, S::Cancelled});
  table.allowed[row_of(S::Running)] = kAfterAttempt;
  table.allowed[row_of(S::Retrying)] = kAfterAttempt;
  // After the delay the next attempt starts (Retrying), unless the host was interrupted
  // (Cancelled) or the runner is gone (Crashed).
  table.allowed[row_of(S::AwaitingRetry)] = states({S::Retrying, S::Cancelled, S::Crashed});
  // NotReady, Completed, Cached, Failed, TimedOut, Crashed and Cancelled are terminal: no row.
  return table;
}

}  // namespace

const TransitionTable kLegalTransitions = make_table();

IllegalTransitionPolicy default_illegal_transition_policy() noexcept {
#ifdef NDEBUG
  return IllegalTransitionPolicy::CrashRun;
#else
  return IllegalTransitionPolicy::Abort;
#endif
}

std::string illegal_transition_message(std::optional<StateId> from, StateId to) {
  return "illegal transition from " + (from ? std::string(state_name(*from)) : std::string("nothing")) + " to " +
         std::string(state_name(to)) + " (an engine bug)";
}

// ------------------------------------------------------------------ the driver

void Engine::drive(Run& run, const Where where) {
  for (;;) {
    switch (run.phase()) {
      case Phase::Created:  // Pending is recorded; an interrupted host starts nothing new
        if (interrupted()) {
          cancel_for_interrupt(run);
          break;
        }
        run.set_phase(Phase::Inputs);
        if (!run.upstreams().empty() && !await_upstreams(run)) return;  // the last upstream drives it on
        [[fallthrough]];

      case Phase::Inputs:  // -> Slots, or Finishing: NotReady, bad parameters, a bad name
        if (interrupted()) {
          cancel_for_interrupt(run);
          break;
        }
        if (!run.inputs_ready() && !prepare_inputs(run)) break;
        run.set_phase(Phase::Slots);
        [[fallthrough]];

      case Phase::Slots:  // -> Queued holding its slots, Finishing (a limit of 0), or parked
        if (interrupted()) {
          cancel_for_interrupt(run);
          break;
        }
        if (limits_.limits_any(run.task().options.tags)) {
          if (!take_slots(run)) return;  // in the tag queue: a release drives it on
          break;
        }
        run.set_phase(Phase::Queued);  // no limited tag: nothing to take
        [[fallthrough]];

      case Phase::Queued:  // -> a worker claims it (work item or in-place join) at Attempt
        if (!queue_for_worker(run)) return;
        break;  // the runner refused it: Finishing, Crashed

      case Phase::Attempt:  // on a worker: Running/Retrying, hooks, the call, its outcome
        if (interrupted()) {
          cancel_for_interrupt(run);
          break;
        }
        switch (run_attempt(run, where.inline_depth)) {
          case AttemptEnd::Finished: break;  // the final state is recorded: Finishing
          case AttemptEnd::Failed: run.set_phase(Phase::Deciding); break;
          case AttemptEnd::Abandoned: return;  // past its deadline: the timeout took the run over
        }
        break;

      case Phase::Deciding:                      // -> Attempt / Queued (retry now), AwaitingRetry, Finishing
        if (!after_failure(run, where)) return;  // on the retry timer, or handed to a worker
        break;

      case Phase::AwaitingRetry:  // the retry timer drives it on (on_retry_due)
        return;

      case Phase::Finishing:  // final hooks, slot release, terminal event -> Done
        finish(run, where);
        return;

      case Phase::Done: return;
    }
  }
}

bool Engine::queue_for_worker(Run& run) {
  try {
    hand_to_runner(run, &Engine::attempt_entry);
    return false;
  } catch (const RunnerRefused& e) {
    // The runner takes no more work, so nobody will run it; unless an in-place join claimed
    // it meanwhile, it ends here.
    if (!run.claim_queued()) return false;
    {
      std::lock_guard<SpinLock> lock(run.lock());
      run.set_error("rh::RunnerError", e.what());
    }
    end_run(run, StateId::Crashed, e.what());
    return true;
  }
}

void Engine::hand_to_runner(Run& run, rh_work_fn entry) {
  // The work item holds a reference: an attempt abandoned at its deadline may still be
  // executing after the run ended and its scope was released.
  run.retain();
  try {
    runner_.submit(entry, &run);
  } catch (const RunnerRefused&) {
    run.release();
    throw;
  }
}

void Engine::attempt_entry(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  ensure_signal_stack();  // runners create their own threads: the crash handler needs room
  {
    Engine& engine = run.engine();
    const ContextScope context(engine);
    // Nothing to do when a waiter already ran this attempt in place (run_in_place).
    if (run.claim_queued()) engine.drive(run, Where::worker());
  }
  run.release();
}

void Engine::resume_entry(void* arg) {
  Run& run = *static_cast<Run*>(arg);
  {
    Engine& engine = run.engine();
    const ContextScope context(engine);
    engine.drive(run, Where::worker());
  }
  run.release();
}

// ------------------------------------------------------------------ transitions

bool Engine::enter(Run& run, StateId state, std::string message, std::int64_t scheduled_us) {
  const bool listening = bus_.has_subscribers();
  run.lock().lock();
  const bool first = run.history().empty();
  if (!transitions_.allows_row(first ? kStateCount : static_cast<int>(run.state()), state)) {
    const std::optional<StateId> from = first ? std::nullopt : std::optional<StateId>(run.state());
    run.lock().unlock();
    illegal_transition(run, from, state);
    return false;
  }
  const StateEntry entry = run.record(state, std::move(message), scheduled_us);
  if (!listening) {
    run.lock().unlock();
    return true;
  }
  // Copies: another thread may append to the history once the lock is released.
  const StateEntry* prev_ptr = run.previous();
  const StateEntry prev = prev_ptr != nullptr ? *prev_ptr : StateEntry{};
  const std::string text(run.message(entry));
  const std::string prev_text = prev_ptr != nullptr ? std::string(run.message(*prev_ptr)) : std::string();
  run.lock().unlock();
  publish(run, entry, prev_ptr != nullptr ? &prev : nullptr, text, prev_text);
  return true;
}

void Engine::end_run(Run& run, StateId final_state, std::string message) {
  std::optional<StateId> from;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    from = run.history().empty() ? std::nullopt : std::optional<StateId>(run.state());
    if (transitions_.allows(from, final_state)) {
      // Published once the hooks ran (complete()), so the waiter wakes after them.
      run.record(final_state, std::move(message));
      run.set_phase(Phase::Finishing);
      return;
    }
  }
  illegal_transition(run, from, final_state);
}

void Engine::illegal_transition(Run& run, std::optional<StateId> from, StateId to) {
  const std::string text = illegal_transition_message(from, to);
  if (on_illegal_ == IllegalTransitionPolicy::Abort) {
    std::fprintf(stderr, "runner-host: %s, in run '%s' (id %llu)\n", text.c_str(), run.name().c_str(),
                 static_cast<unsigned long long>(run.id()));
    std::abort();
  }
  log_for(run, RH_LOG_CRITICAL, text);
  std::lock_guard<SpinLock> lock(run.lock());
  if (from && is_terminal(*from)) return;  // it already ended, and an ended run never changes
  run.set_error("rh::EngineError", text);
  run.record(StateId::Crashed, text);
  run.set_phase(Phase::Finishing);
}

void Engine::publish(const Run& run, const StateEntry& entry, const StateEntry* previous, std::string_view message,
                     std::string_view previous_message) {
  if (!bus_.has_subscribers()) return;
  TaskRunEvent event;
  event.id = bus_.next_event_id();
  event.time_us = entry.time_us;
  event.is_flow_run = run.is_flow();
  event.run_id = run.id();
  event.run_name = run.name();
  event.task_name = run.task().name;
  event.run_count = run.run_count();
  event.flow_run_id = run.flow_run_id();
  event.state = entry.id;
  event.message = message;
  if (const StateDetail* detail = run.detail(entry)) event.scheduled_us = detail->scheduled_us;
  if (previous != nullptr) {
    event.previous = previous->id;
    event.previous_message = previous_message;
  }
  bus_.publish(event);
}

}  // namespace rh::host
