// Results from before: a run of a resumed flow run takes the result its match stored
// (--resume), and a run whose task has a cache policy takes a stored result under its key.
// Every run that looks says why it did or did not get one (its CacheNote, and a debug line):
// silent cache misses are what users of other engines complain about most.
#include "base/clock.hpp"
#include "base/time_format.hpp"
#include "engine/cache_keys.hpp"
#include "engine/engine.hpp"
#include "engine/execution_context.hpp"
#include "engine/resume_set.hpp"
#include "engine/timeouts.hpp"

#include <optional>

namespace rh::host {

// Out of line, like outcome_of: its strings would otherwise stay in the task's stack frame.
__attribute__((noinline)) std::optional<Engine::AttemptEnd> Engine::reuse_result(Run& run, AttemptContext& ctx,
                                                                                 const rh_task_call& call,
                                                                                 ResumeSet* resume) {
  const std::uint32_t generation = ctx.generation;
  const TaskDef& task = run.task();
  if (resume != nullptr) {
    if (std::optional<std::string> result = resume->take(task.name, run.params())) {
      CacheNote note;
      note.outcome = "resumed from flow run " + resume->source();
      return end_cached(run, generation, std::move(*result), std::move(note),
                        "Result of flow run " + resume->source() + ", resumed.");
    }
  }
  if (!task_caches(task)) return std::nullopt;

  CacheNote note;
  const auto decided = [&](std::string outcome) {
    note.outcome = std::move(outcome);
    log_for(run, RH_LOG_DEBUG,
            "cache " + note.outcome + (note.key.empty() ? std::string() : " (key " + note.key + ")"));
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_cache_note(std::move(note));
    return std::nullopt;
  };
  if (no_cache_) return decided("not cacheable: caching is off (--no-cache)");
  if (!task.options.persist_result) return decided("not cacheable: the task does not persist its results");

  // Still read after the timeout was armed; a timeout that fires during a cache lookup and a
  // host that frees the scope at once race with this (docs/sanitizers.md, open).
  const RunScope& scope = *run.scope();
  const RunRef& flow = scope.flow_run();
  static const std::string kNoParams;
  const CacheKeyResult key =
      cache_key_of(task, CacheKeyInputs{run.params(), flow ? flow->params() : kNoParams, scope.flow_run_uuid(), call});
  if (key.key.empty()) {
    if (key.warn) log_for(run, RH_LOG_WARN, "task '" + task.name + "' has no cache key for this run: " + key.problem);
    return decided("not cacheable: " + key.problem);
  }
  note.key = key.key;
  note.store_entry = true;
  const double expiration = task.options.cache.expiration_seconds;
  note.expires_us = expiration > 0 ? wall_us() + static_cast<std::int64_t>(expiration * 1e6) : 0;
  if (task.options.cache.refresh || refresh_cache_) {
    // A refresh still takes the key, so that two refreshing writers do not overlap.
    note.outcome = "refresh requested";
    if (task.options.cache.serializable) {
      if (std::optional<AttemptEnd> end = lock_then_look_again(run, ctx, note, /*look_again=*/false)) return end;
    }
    return decided(std::move(note.outcome));
  }

  bool unreadable = false;
  if (std::optional<AttemptEnd> end = cached_result(run, generation, note, "", &unreadable)) return end;
  // An unreadable store is not asked for a lock either.
  if (task.options.cache.serializable && !unreadable) {
    if (std::optional<AttemptEnd> end = lock_then_look_again(run, ctx, note, /*look_again=*/true)) return end;
  }
  return decided(std::move(note.outcome));
}

std::optional<Engine::AttemptEnd> Engine::cached_result(Run& run, std::uint32_t generation, CacheNote& note,
                                                        std::string_view after, bool* unreadable) {
  const auto hit = [&](std::string result, std::string message) {
    note.outcome = "hit";
    note.store_entry = false;
    return end_cached(run, generation, std::move(result), std::move(note), message.append(after).append("."));
  };
  if (std::optional<std::string> result = cache_.lookup(note.key, monotonic_ns())) {
    return hit(std::move(*result), "Result read from the cache");
  }
  note.outcome = "miss: no record";
  if (store_ == nullptr) return std::nullopt;
  CacheLookup found;
  try {
    found = store_->lookup_cache(note.key, wall_us());
  } catch (const StoreError& e) {
    log_for(run, RH_LOG_WARN, std::string("cache lookup failed: ") + e.what());
    note.outcome = std::string("miss: the store could not be read: ") + e.what();
    if (unreadable != nullptr) *unreadable = true;
    return std::nullopt;
  }
  switch (found.outcome) {
    case CacheLookup::Outcome::Hit:
      return hit(std::move(found.result), "Result read from the cache (flow run " + found.source_flow_run + ")");
    case CacheLookup::Outcome::Expired:
      note.outcome = "miss: expired at " + format_timestamp_us(found.expired_at_us);
      break;
    case CacheLookup::Outcome::NoRecord: break;
  }
  return std::nullopt;
}

std::optional<Engine::AttemptEnd> Engine::lock_then_look_again(Run& run, AttemptContext& ctx, CacheNote& note,
                                                               bool look_again) {
  const std::string holder = lock_holder(run, "attempt " + std::to_string(run.run_count()));
  // Says why a run that missed has not started computing yet, if the key is held elsewhere.
  log_for(run, RH_LOG_DEBUG, "taking the lock on cache key " + note.key + " (serializable)");
  std::string error;
  const std::int32_t status =
      key_locks_.acquire(note.key, holder, context_blocker(), RH_DEADLINE_NONE, &note.lock, &error);
  if (status == RH_ERROR) {
    // Computing without the lock is what READ_COMMITTED does: the result is still right,
    // only perhaps computed twice.
    log_for(run, RH_LOG_WARN, "cache key " + note.key + " could not be locked, computing without the lock: " + error);
    note.outcome += " (not locked: " + error + ")";
    return std::nullopt;
  }
  if (status != RH_OK) {
    // The attempt's timeout or a cancellation ended the wait, as any wait of task code.
    const bool cancelled = status == RH_CANCELLED;
    ctx.has_error = true;
    ctx.error_type = cancelled ? "rh::CancelledError" : "rh::TimeoutError";
    ctx.error_message = "stopped while waiting for the lock on cache key " + note.key;
    return outcome_of(run, ctx, cancelled ? RH_TASK_CANCELLED : RH_TASK_TIMED_OUT, ctx.generation);
  }
  if (!look_again) return std::nullopt;
  // The holder before us may have written the result while we waited; if not, it is ours to
  // compute, holding the key until the run's record is written.
  return cached_result(run, ctx.generation, note, ", after waiting for its key's lock");
}

std::string Engine::lock_holder(const Run& run, const std::string& what) {
  return run.scope()->flow_run_uuid() + "/" + std::to_string(run.id()) + " " + what;
}

void Engine::release_key_lock(Run& run) {
  KeyLocks::Hold hold;
  {
    std::lock_guard<SpinLock> lock(run.lock());
    hold = run.take_key_lock();
  }
  key_locks_.release(hold);
}

Engine::AttemptEnd Engine::end_cached(Run& run, std::uint32_t generation, std::string result, CacheNote note,
                                      const std::string& message) {
  if (close_attempt(run, generation) == Closed::Abandoned) {
    key_locks_.release(note.lock);  // the run is the timeout's now, and its next attempt may need the key
    return AttemptEnd::Abandoned;
  }
  log_for(run, RH_LOG_DEBUG, "cache " + note.outcome + (note.key.empty() ? std::string() : " (key " + note.key + ")"));
  {
    std::lock_guard<SpinLock> lock(run.lock());
    run.set_result(std::move(result));
    run.set_cache_note(std::move(note));
  }
  end_run(run, StateId::Cached, message);
  return AttemptEnd::Finished;
}

void Engine::remember_result(const Run& run, const std::string& result) {
  const CacheNote& note = *run.cache_note();
  if (!note.store_entry || note.key.empty()) return;
  const double expiration = run.task().options.cache.expiration_seconds;
  cache_.store(note.key, result, expiration > 0 ? deadline_in(expiration) : 0);
}

}  // namespace rh::host
