// Results from before: a run of a resumed flow run takes the result its match stored
// (--resume), and a run whose task has a cache policy takes a stored result under its key.
// Every run that looks says why it did or did not get one (its CacheNote, and a debug line):
// silent cache misses are what users of other engines complain about most.
#include "base/clock.hpp"
#include "base/time_format.hpp"
#include "engine/cache_keys.hpp"
#include "engine/engine.hpp"
#include "engine/resume_set.hpp"
#include "engine/timeouts.hpp"

#include <optional>

namespace rh::host {

bool Engine::looks_up_results(const Run& run) const noexcept {
  return (run.scope()->resume() != nullptr && !run.is_flow()) || task_caches(run.task());
}

// Out of line, like outcome_of: its strings would otherwise stay in the task's stack frame.
__attribute__((noinline)) std::optional<Engine::AttemptEnd> Engine::reuse_result(Run& run, std::uint32_t generation,
                                                                                 const rh_task_call& call) {
  const TaskDef& task = run.task();
  RunScope& scope = *run.scope();
  if (ResumeSet* resume = scope.resume(); resume != nullptr && !run.is_flow()) {
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
  if (task.options.cache.refresh || refresh_cache_) return decided("refresh requested");

  if (std::optional<std::string> hit = cache_.lookup(note.key, monotonic_ns())) {
    note.outcome = "hit";
    note.store_entry = false;
    return end_cached(run, generation, std::move(*hit), std::move(note), "Result read from the cache.");
  }
  if (store_ == nullptr) return decided("miss: no record");
  CacheLookup found;
  try {
    found = store_->lookup_cache(note.key, wall_us());
  } catch (const StoreError& e) {
    log_for(run, RH_LOG_WARN, std::string("cache lookup failed: ") + e.what());
    return decided(std::string("miss: the store could not be read: ") + e.what());
  }
  switch (found.outcome) {
    case CacheLookup::Outcome::Hit: {
      note.outcome = "hit";
      note.store_entry = false;
      const std::string message = "Result read from the cache (flow run " + found.source_flow_run + ").";
      return end_cached(run, generation, std::move(found.result), std::move(note), message);
    }
    case CacheLookup::Outcome::Expired: return decided("miss: expired at " + format_timestamp_us(found.expired_at_us));
    case CacheLookup::Outcome::NoRecord: break;
  }
  return decided("miss: no record");
}

Engine::AttemptEnd Engine::end_cached(Run& run, std::uint32_t generation, std::string result, CacheNote note,
                                      const std::string& message) {
  if (close_attempt(run, generation) == Closed::Abandoned) return AttemptEnd::Abandoned;
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
