#include "cli/report_command.hpp"

#include "base/output_files.hpp"
#include "cli/exit_codes.hpp"
#include "cli/report_page_data.hpp"
#include "cli/store_commands.hpp"
#include "store/store.hpp"

#include <utility>
#include <vector>

namespace rh::host {
namespace {

// Every Running or Retrying span of a history: (start, end).
void add_attempts(const std::vector<StateRecord>& history, std::vector<std::pair<std::int64_t, std::int64_t>>& into) {
  for (std::size_t i = 0; i + 1 < history.size(); ++i) {
    if (is_running(history[i].state)) into.emplace_back(history[i].time_us, history[i + 1].time_us);
  }
}

std::string error_text(const std::string& type, const std::string& message) {
  if (type.empty() && message.empty()) return std::string();
  return type + ": " + message;
}

}  // namespace

int report_command(const RunConfig& config, const ReportQuery& query, std::ostream& out, std::ostream& err) {
  try {
    const std::unique_ptr<Store> store = open_store_to_read(config);
    const FlowRunSummary run = store->find_flow_run(query.ref);
    const std::optional<FlowRunEnd> end = store->flow_run_end(run.id);
    ReportPageData data(query.html);

    // The store records no threads: a first pass packs every attempt into slots.
    std::vector<std::pair<std::int64_t, std::int64_t>> attempts;
    store->each_task_run(run.id, [&](TaskRunRecord&& task_run) { add_attempts(task_run.history, attempts); });
    const std::vector<std::uint32_t> slots = pack_into_slots(attempts);
    std::uint32_t slot_count = 0;
    for (const std::uint32_t slot : slots) slot_count = std::max(slot_count, slot + 1);
    for (std::uint32_t slot = 0; slot < slot_count; ++slot) data.slot("slot " + std::to_string(slot + 1));

    std::size_t next_attempt = 0;
    store->each_task_run(run.id, [&](TaskRunRecord&& task_run) {
      ReportPageRun page_run;
      page_run.no = task_run.run_no;
      page_run.name = task_run.name;
      page_run.task = task_run.task;
      page_run.state = task_run.state;
      page_run.params = &task_run.params;
      if (task_run.result_persisted) page_run.result = &task_run.result;
      page_run.error = error_text(task_run.error_type, task_run.error_message);
      page_run.history = std::move(task_run.history);
      page_run.upstreams = std::move(task_run.upstreams);
      for (std::size_t i = 0; i + 1 < page_run.history.size(); ++i) {
        if (!is_running(page_run.history[i].state)) continue;
        // A run pruned or written between the passes has no slot: it shows as unknown.
        page_run.attempt_slots.push_back(next_attempt < slots.size() ? static_cast<std::int32_t>(slots[next_attempt])
                                                                     : -1);
        ++next_attempt;
      }
      data.add(page_run, run.start_us);
    });

    ReportPageFlow flow;
    flow.id = run.id;
    flow.name = run.name;
    flow.flow = run.flow;
    flow.is_flow = run.is_flow;
    flow.state = run.state;
    flow.message = run.message;
    flow.command_line = run.command_line;
    flow.runner = run.runner;
    flow.start_us = run.start_us;
    flow.end_us = run.ended ? run.end_us : run.start_us;
    flow.params = run.params;
    if (end) {
      flow.history = end->history;
      flow.has_result = is_completed(end->state) && !end->result.empty();
      flow.result = end->result;
      flow.error = error_text(end->error_type, end->error_message);
    }
    data.write(flow, "store");
    out << "wrote " << query.html << " (" << (run.is_flow ? "flow run " : "task run ") << run.id << ")\n";
    return kExitOk;
  } catch (const StoreError& e) {
    err << "runner-host: " << e.what() << '\n';
    return kExitUsage;
  } catch (const OutputFileError& e) {
    err << "runner-host: " << e.what() << '\n';
    return kExitUsage;
  }
}

}  // namespace rh::host
