// Store's reads: cache lookups and run history, each on a pooled read connection.
#include "store/store_impl.hpp"
#include "store/store_json.hpp"
#include "store/store_queries.hpp"
#include "store/store_schema.hpp"

#include <algorithm>

namespace rh::host {
namespace {

using detail::Statement;
using detail::StatementScope;

// What the helpers below need of the store (Store::Impl itself is private to Store).
struct ReadContext {
  const std::filesystem::path& file;
  detail::ResultFiles& files;

  std::string message(std::string_view what) const { return detail::store_message(file, what); }
};

StateId state_column(const ReadContext& store, std::string_view name, const std::string& run) {
  if (auto state = state_from_name(name)) return *state;
  throw StoreError(store.message(run + " has an unknown state '" + std::string(name) + "'"));
}

std::vector<StateRecord> history_column(const ReadContext& store, std::string_view text, const std::string& run) {
  try {
    return detail::parse_history_json(text);
  } catch (const std::runtime_error& e) {
    throw StoreError(store.message(run + ": " + e.what()));
  }
}

// "3 7 9": the run numbers of the upstreams column (NULL reads as "": none).
std::vector<std::uint64_t> upstreams_column(const ReadContext& store, std::string_view text, const std::string& run) {
  std::vector<std::uint64_t> upstreams;
  std::uint64_t value = 0;
  bool digits = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9' && value <= (UINT64_MAX - 9) / 10) {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      digits = true;
    } else if (c == ' ' && digits) {
      upstreams.push_back(value);
      value = 0;
      digits = false;
    } else {
      throw StoreError(store.message(run + " has unreadable upstreams '" + std::string(text) + "'"));
    }
  }
  if (digits)
    upstreams.push_back(value);
  else if (!text.empty())
    throw StoreError(store.message(run + " has unreadable upstreams '" + std::string(text) + "'"));
  return upstreams;
}

// Columns of kFlowRunSummaryColumns, in order.
FlowRunSummary summary_from(const ReadContext& store, const Statement& s) {
  FlowRunSummary run;
  run.id = s.column_text(0);
  run.name = s.column_text(1);
  run.flow = s.column_text(2);
  run.is_flow = s.column_int(3) != 0;
  run.library = s.column_text(4);
  run.library_version = s.column_text(5);
  run.params = s.column_text(6);
  run.command_line = s.column_text(7);
  run.runner = s.column_text(8);
  run.resumed_from = s.column_text(9);
  run.start_us = s.column_int(10);
  run.ended = !s.column_is_null(11);
  run.end_us = run.ended ? s.column_int(11) : 0;
  run.state = run.ended ? state_column(store, s.column_view(12), "flow run " + run.id) : StateId::Running;
  run.message = s.column_text(13);
  run.task_runs = static_cast<std::uint64_t>(s.column_int(14));
  try {
    run.by_state = detail::parse_counts_json(s.column_view(15));
  } catch (const std::runtime_error& e) {
    throw StoreError(store.message("flow run " + run.id + ": " + e.what()));
  }
  return run;
}

// A result column pair: inline text, or the file it was written to.
std::string result_from(const ReadContext& store, const Statement& s, int text_column) {
  if (!s.column_is_null(text_column + 1)) {
    return store.files.read(s.column_text(text_column + 1), s.column_int(text_column + 2));
  }
  return s.column_text(text_column);
}

std::string no_match(const ReadContext& store, std::string_view ref) {
  return "no flow run in store " + store.file.string() + " matches '" + std::string(ref) + "'";
}

// The row number of flow run `id`; throws StoreError when the store does not hold it.
std::int64_t flow_run_row(const ReadContext& store, detail::ReadConnection& reader, const std::string& id) {
  Statement& s = reader.statement(detail::kFlowRunRow);
  StatementScope scope(s);
  s.bind(1, id);
  if (!s.step()) throw StoreError(no_match(store, id));
  return s.column_int(0);
}

std::size_t common_prefix(const std::string& a, const std::string& b) {
  std::size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

CacheLookup Store::lookup_cache(const std::string& key, std::int64_t now_us) {
  const ReadContext store{impl_->options.path, impl_->files};
  auto reader = impl_->readers.acquire();
  Statement& s = reader->statement(detail::kLookupCache);
  StatementScope scope(s);
  s.bind(1, key);
  CacheLookup lookup;
  if (!s.step()) return lookup;  // NoRecord
  const std::int64_t expires_us = s.column_int(0);
  if (expires_us != 0 && expires_us <= now_us) {
    lookup.outcome = CacheLookup::Outcome::Expired;
    lookup.expired_at_us = expires_us;
    return lookup;
  }
  // The task run or its flow run is gone (pruned by hand in sqlite3), or it holds no result:
  // nothing to reuse, the same as no entry.
  if (s.column_is_null(3) || s.column_is_null(1) || (s.column_is_null(4) && s.column_is_null(5))) return lookup;
  try {
    lookup.result = result_from(store, s, 4);
  } catch (const StoreError&) {
    // A result file that is gone or cut short: the task computes it again, as on a miss.
    return lookup;
  }
  lookup.outcome = CacheLookup::Outcome::Hit;
  lookup.source_flow_run = s.column_text(1);
  lookup.source_run_no = static_cast<std::uint64_t>(s.column_int(2));
  return lookup;
}

FlowRunSummary Store::find_flow_run(std::string_view ref) {
  const ReadContext store{impl_->options.path, impl_->files};
  auto reader = impl_->readers.acquire();
  if (ref == "last") {
    Statement& s = reader->statement(detail::kLastFlowRun);
    StatementScope scope(s);
    if (!s.step()) throw StoreError("store " + store.file.string() + " holds no flow runs");
    return summary_from(store, s);
  }
  // Ids are lowercase; a prefix typed or pasted in capitals names the same runs.
  std::string prefix(ref);
  std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  if (prefix.empty()) throw StoreError(no_match(store, ref));
  // Every id starting with `prefix` sorts in [prefix, prefix with its last byte raised):
  // one range of the uuid index.
  std::string after = prefix;
  after.back() = static_cast<char>(after.back() + 1);
  Statement& s = reader->statement(detail::kFlowRunsByPrefix);
  StatementScope scope(s);
  s.bind(1, prefix);
  s.bind(2, after);
  if (!s.step()) throw StoreError(no_match(store, ref));
  FlowRunSummary run = summary_from(store, s);
  if (s.step()) {
    s.reset();
    Statement& count = reader->statement(detail::kCountFlowRunsByPrefix);
    StatementScope count_scope(count);
    count.bind(1, prefix);
    count.bind(2, after);
    count.step();
    throw StoreError("'" + std::string(ref) + "' matches " + std::to_string(count.column_int(0)) +
                     " flow runs in store " + store.file.string() + ": give more characters");
  }
  return run;
}

std::string Store::short_id(const std::string& flow_run_id, std::size_t min_length) {
  auto reader = impl_->readers.acquire();
  std::size_t shared = 0;  // characters shared with the nearest other id on either side
  for (const char* sql : {detail::kFlowRunIdBefore, detail::kFlowRunIdAfter}) {
    Statement& s = reader->statement(sql);
    StatementScope scope(s);
    s.bind(1, flow_run_id);
    if (s.step()) shared = std::max(shared, common_prefix(flow_run_id, s.column_text(0)));
  }
  return flow_run_id.substr(0, std::min(flow_run_id.size(), std::max(min_length, shared + 1)));
}

std::vector<FlowRunSummary> Store::list_flow_runs(const FlowRunFilter& filter) {
  const ReadContext store{impl_->options.path, impl_->files};
  auto reader = impl_->readers.acquire();
  const bool by_flow = !filter.flow.empty();
  Statement& s = reader->statement(detail::list_flow_runs_sql(by_flow, filter.state));
  StatementScope scope(s);
  int index = 1;
  if (by_flow) s.bind(index++, filter.flow);
  if (filter.state && *filter.state != StateId::Running) s.bind(index++, state_name(*filter.state));
  // 0: no limit (SQLite reads a negative LIMIT so).
  s.bind(index, filter.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(filter.limit));
  std::vector<FlowRunSummary> runs;
  while (s.step()) runs.push_back(summary_from(store, s));
  return runs;
}

void Store::each_task_run(const std::string& flow_run_id, const std::function<void(TaskRunRecord&&)>& visit) {
  const ReadContext store{impl_->options.path, impl_->files};
  auto reader = impl_->readers.acquire();
  // One snapshot for both statements: a prune between them cannot mix two states.
  detail::ReadTransaction snapshot(reader->connection());
  const std::int64_t row = flow_run_row(store, *reader, flow_run_id);
  Statement& s = reader->statement(detail::kTaskRunsOfFlowRun);
  StatementScope scope(s);
  s.bind(1, detail::task_run_key(row, 0));
  s.bind(2, detail::task_run_key(row, detail::kMaxRunNo));
  while (s.step()) {
    TaskRunRecord run;
    run.flow_run_id = flow_run_id;
    run.run_no = static_cast<std::uint64_t>(s.column_int(0));
    const std::string name = "task run " + flow_run_id + "/" + std::to_string(run.run_no);
    run.parent_run_no = static_cast<std::uint64_t>(s.column_int(1));
    run.task = s.column_text(2);
    run.name = s.column_text(3);
    run.library = s.column_text(4);
    run.library_version = s.column_text(5);
    run.task_version = s.column_text(6);
    run.params = s.column_text(7);
    run.state = state_column(store, s.column_view(8), name);
    run.history = history_column(store, s.column_view(9), name);
    run.run_count = static_cast<std::uint32_t>(s.column_int(10));
    run.result_persisted = !s.column_is_null(11) || !s.column_is_null(12);
    if (run.result_persisted) run.result = result_from(store, s, 11);
    run.error_type = s.column_text(14);
    run.error_message = s.column_text(15);
    run.start_us = s.column_int(16);
    run.end_us = s.column_int(17);
    run.run_time_us = s.column_int(18);
    run.cache_key = s.column_text(19);
    run.cache_expires_us = s.column_int(20);
    run.upstreams = upstreams_column(store, s.column_view(21), name);
    visit(std::move(run));
  }
}

std::vector<TaskRunRecord> Store::task_runs_of(const std::string& flow_run_id) {
  std::vector<TaskRunRecord> runs;
  each_task_run(flow_run_id, [&runs](TaskRunRecord&& run) { runs.push_back(std::move(run)); });
  return runs;
}

std::optional<TransactionRecord> Store::find_transaction(const std::string& key) {
  auto reader = impl_->readers.acquire();
  Statement& s = reader->statement(detail::kFindTransaction);
  StatementScope scope(s);
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  TransactionRecord record;
  record.key = key;
  record.flow_run_id = s.column_text(0);
  record.committed_us = s.column_int(1);
  record.values = s.column_text(2);
  return record;
}

std::optional<FlowRunEnd> Store::flow_run_end(const std::string& flow_run_id) {
  const ReadContext store{impl_->options.path, impl_->files};
  auto reader = impl_->readers.acquire();
  Statement& s = reader->statement(detail::kFlowRunEnd);
  StatementScope scope(s);
  s.bind(1, flow_run_id);
  if (!s.step()) throw StoreError(no_match(store, flow_run_id));
  if (s.column_is_null(0)) return std::nullopt;  // not ended
  const std::string name = "flow run " + flow_run_id;
  FlowRunEnd end;
  end.id = flow_run_id;
  end.end_us = s.column_int(0);
  end.state = state_column(store, s.column_view(1), name);
  end.message = s.column_text(2);
  end.history = history_column(store, s.column_view(3), name);
  end.result = result_from(store, s, 4);
  end.error_type = s.column_text(7);
  end.error_message = s.column_text(8);
  return end;
}

}  // namespace rh::host
