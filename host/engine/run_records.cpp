// What the store records of each run (docs/store.md): the flow run as it starts, and every
// run once it is terminal (immutable from then on, so it is read without its lock). The
// store queues the records for its writer thread; nothing here waits for the disk.
#include "base/clock.hpp"
#include "engine/engine.hpp"
#include "engine/resume_set.hpp"
#include "engine/run_history.hpp"

namespace rh::host {

std::vector<StateRecord> history_records(const Run& run) {
  std::vector<StateRecord> history;
  history.reserve(run.history().size());
  for (const StateEntry& entry : run.history()) {
    history.push_back(StateRecord{entry.time_us, entry.id, std::string(run.message(entry))});
  }
  return history;
}

void Engine::record_flow_run_start(const RunScope& scope, const Run& root) {
  const TaskDef& task = root.task();
  FlowRunStart record;
  record.id = scope.flow_run_uuid();
  record.name = root.name();
  record.flow = task.name;
  record.is_flow = root.is_flow();
  record.library = task.library;
  record.library_version = task.library_version;
  record.params = root.params().empty() ? "{}" : root.params();
  record.command_line = scope.provenance().command_line;
  record.runner = scope.provenance().runner;
  if (scope.resume() != nullptr) record.resumed_from = scope.resume()->source();
  record.start_us = wall_us();
  store_->flow_run_started(std::move(record));
}

void Engine::record_in_store(const Run& run, bool with_result, const std::string& flow_run_uuid) {
  if (store_ == nullptr) return;
  const bool persist = with_result && run.task().options.persist_result;
  const StateId state = run.state();
  // The root run (a flow run, or a task run started on its own) ends the flow run's record;
  // a root task run is a task run too.
  if (run.parent_id() == 0) {
    FlowRunEnd record;
    record.id = flow_run_uuid;
    record.state = state;
    record.message = std::string(run.message(run.current()));
    record.history = history_records(run);
    if (is_completed(state) && persist) record.result = run.result().empty() ? "null" : run.result();
    if (const RunError* error = run.error()) {
      record.error_type = error->type;
      record.error_message = error->message;
    }
    record.end_us = run.end_time_us();
    store_->flow_run_ended(std::move(record));
    if (run.is_flow()) return;
  }
  TaskRunRecord record;
  record.flow_run_id = flow_run_uuid;
  record.run_no = run.id();
  record.parent_run_no = run.parent_id() == run.flow_run_id() ? 0 : run.parent_id();
  const TaskDef& task = run.task();
  record.task = task.name;
  record.name = run.name();
  record.library = task.library;
  record.library_version = task.library_version;
  record.task_version = task.options.version;
  record.params = run.params().empty() ? "{}" : run.params();
  record.state = state;
  record.history = history_records(run);
  record.run_count = run.run_count();
  // Cached results are kept too: a resumed run of a resumed flow run needs them again.
  if (is_completed(state) && persist) {
    record.result = run.result().empty() ? "null" : run.result();
    record.result_persisted = true;
  }
  if (const RunError* error = run.error()) {
    record.error_type = error->type;
    record.error_message = error->message;
  }
  record.start_us = run.start_time_us();
  record.end_us = run.end_time_us();
  record.run_time_us = run.total_run_time_us();
  // Only a run that computed its result writes an entry: a failure never does, nor a hit.
  if (const CacheNote* note = run.cache_note();
      note != nullptr && note->store_entry && state == StateId::Completed && persist) {
    record.cache_key = note->key;
    record.cache_expires_us = note->expires_us;
  }
  record.upstreams.reserve(run.upstreams().size());
  for (const Upstream& upstream : run.upstreams()) record.upstreams.push_back(upstream.run->id());
  store_->task_run_ended(std::move(record));
}

}  // namespace rh::host
