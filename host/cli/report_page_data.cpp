#include "cli/report_page_data.hpp"

#include "base/output_files.hpp"
#include "base/utf8.hpp"
#include "cli/script_json.hpp"
#include "plugins/extensions.hpp"
#include "report_page.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <queue>

namespace rh::host {
namespace {

using nlohmann::json;

constexpr const char* kWhat = "the HTML report";

// Every state, in the order of the page's "states" table (an index is a state's position).
constexpr StateId kStates[] = {StateId::Pending,       StateId::NotReady,  StateId::Running,  StateId::Retrying,
                               StateId::AwaitingRetry, StateId::Completed, StateId::Cached,   StateId::Failed,
                               StateId::TimedOut,      StateId::Crashed,   StateId::Cancelled};

int state_index(StateId id) {
  const auto* found = std::find(std::begin(kStates), std::end(kStates), id);
  return static_cast<int>(found - std::begin(kStates));
}

// JSON text as a page's <script> element can hold it (report_page.hpp): "</" could end the
// element early and "<!--" change how the browser reads the rest of it. Both occur only
// inside JSON strings, where "\/" and "\u0021" are the same characters.
void escape_for_script(std::string& text) {
  for (std::size_t at = text.find('<'); at != std::string::npos; at = text.find('<', at + 1)) {
    if (text.compare(at + 1, 1, "/") == 0) {
      text.insert(at + 1, 1, '\\');
    } else if (text.compare(at + 1, 3, "!--") == 0) {
      text.replace(at + 1, 1, "\\u0021");
    }
  }
}

std::string dump(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  escape_for_script(text);
  return text;
}

// At most kMaxTextBytes of `text`, cut at a character boundary, saying how long it was.
std::string cut_text(std::string_view text) {
  return std::string(utf8_prefix(text, ReportPageData::kMaxTextBytes)) + "\u2026 (" + std::to_string(text.size()) +
         " bytes)";
}

json cut(std::string_view text) {
  return text.size() <= ReportPageData::kMaxTextBytes ? json(std::string(text)) : json(cut_text(text));
}

void append_cut(std::string& out, std::string_view text) {
  if (text.size() <= ReportPageData::kMaxTextBytes) {
    append_json_string(out, text);
  } else {
    append_json_string(out, cut_text(text));
  }
}

json history_json(const std::vector<StateRecord>& history, std::int64_t origin_us) {
  json entries = json::array();
  for (const StateRecord& entry : history) {
    json item = json::array({entry.time_us - origin_us, state_index(entry.state)});
    if (!entry.message.empty()) item.push_back(cut(entry.message));
    entries.push_back(std::move(item));
  }
  return entries;
}

}  // namespace

ReportPageData::ReportPageData(const std::string& path, std::uint64_t max_runs) : path_(path), max_runs_(max_runs) {
  check_output_path(path, kWhat);
  scratch_ = open_scratch_file(path, kWhat);
}

ReportPageData::~ReportPageData() {
  if (scratch_ != nullptr) std::fclose(scratch_);
}

std::int32_t ReportPageData::slot(const std::string& name) {
  const auto [it, added] = slot_index_.emplace(name, static_cast<std::int32_t>(slots_.size()));
  if (added) slots_.push_back(name);
  return it->second;
}

void ReportPageData::add(const ReportPageRun& run, std::int64_t origin_us) {
  ++counts_[std::string(state_name(run.state))];
  if (kept_ >= max_runs_ && is_completed(run.state)) {
    ++omitted_;
    return;
  }
  ++kept_;
  const auto [task, added] = task_index_.emplace(std::string(run.task), static_cast<std::uint32_t>(tasks_.size()));
  if (added) tasks_.emplace_back(run.task);

  // [no, name, task, state, params, result, error, history, upstreams, attempts]
  row_.clear();
  if (kept_ > 1) row_ += ",\n";
  row_ += '[';
  append_json_int(row_, static_cast<std::int64_t>(run.no));
  row_ += ',';
  append_json_string(row_, run.name);
  row_ += ',';
  append_json_int(row_, task->second);
  row_ += ',';
  append_json_int(row_, state_index(run.state));
  for (const std::string* text : {run.params, run.result, run.error.empty() ? nullptr : &run.error}) {
    row_ += ',';
    if (text == nullptr) {
      row_ += "null";
    } else {
      append_cut(row_, *text);
    }
  }
  row_ += ",[";
  for (std::size_t i = 0; i < run.history.size(); ++i) {
    const StateRecord& entry = run.history[i];
    row_ += i == 0 ? "[" : ",[";
    append_json_int(row_, entry.time_us - origin_us);
    row_ += ',';
    append_json_int(row_, state_index(entry.state));
    if (!entry.message.empty()) {
      row_ += ',';
      append_cut(row_, entry.message);
    }
    row_ += ']';
  }
  row_ += "],[";
  for (std::size_t i = 0; i < run.upstreams.size(); ++i) {
    if (i != 0) row_ += ',';
    append_json_int(row_, static_cast<std::int64_t>(run.upstreams[i]));
  }
  row_ += "],[";
  std::size_t attempt = 0;
  for (std::size_t i = 0; i + 1 < run.history.size(); ++i) {
    if (!is_running(run.history[i].state)) continue;
    const std::int32_t slot = attempt < run.attempt_slots.size() ? run.attempt_slots[attempt] : -1;
    row_ += attempt++ == 0 ? "[" : ",[";
    append_json_int(row_, run.history[i].time_us - origin_us);
    row_ += ',';
    append_json_int(row_, run.history[i + 1].time_us - origin_us);
    row_ += ',';
    append_json_int(row_, slot);
    row_ += ',';
    append_json_int(row_, state_index(run.history[i + 1].state));
    row_ += ']';
  }
  row_ += "]]";
  if (std::fwrite(row_.data(), 1, row_.size(), scratch_) != row_.size() && error_.empty()) {
    error_ = std::strerror(errno);
  }
}

void ReportPageData::write(const ReportPageFlow& flow, const std::string& source) {
  if (!error_.empty()) {
    throw OutputFileError(std::string(kWhat) + " " + path_ + " lost runs spooled to a temporary file: " + error_);
  }
  json states = json::array();
  for (const StateId id : kStates) states.push_back(std::string(state_name(id)));
  const json flow_json = {
      {"id", flow.id},
      {"name", flow.name},
      {"flow", flow.flow},
      {"is_flow", flow.is_flow},
      {"state", std::string(state_name(flow.state))},
      {"message", cut(flow.message)},
      {"command_line", flow.command_line},
      {"runner", flow.runner},
      {"start_us", flow.start_us},
      {"end_us", flow.end_us},
      {"params", flow.params.empty() ? json(nullptr) : cut(flow.params)},
      {"result", flow.has_result ? cut(flow.result) : json(nullptr)},
      {"error", flow.error.empty() ? json(nullptr) : cut(flow.error)},
      {"history", history_json(flow.history, flow.start_us)},
      {"counts", counts_},
  };
  // The tables first and the runs last: the runs are copied from the scratch file as they are.
  const std::string head = dump({{"format", 1},
                                 {"generator", "runner-host " + std::string(host_version())},
                                 {"source", source},
                                 {"flow", flow_json},
                                 {"states", states},
                                 {"tasks", tasks_},
                                 {"slots", slots_}});
  write_file_atomically(path_, kWhat, [&](std::ostream& out) {
    out << report_page_before_data();
    out.write(head.data(), static_cast<std::streamsize>(head.size() - 1));  // without its closing brace
    out << ",\"runs\":[\n";
    if (!copy_scratch_file(scratch_, out)) {
      throw OutputFileError(std::string(kWhat) + " " + path_ +
                            " lost runs spooled to a temporary file: " + std::strerror(errno));
    }
    out << "\n],\"omitted_runs\":" << omitted_ << "}" << report_page_after_data();
  });
}

std::vector<std::uint32_t> pack_into_slots(const std::vector<std::pair<std::int64_t, std::int64_t>>& intervals) {
  std::vector<std::size_t> order(intervals.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return intervals[a].first < intervals[b].first; });
  using Busy = std::pair<std::int64_t, std::uint32_t>;  // (end, slot)
  std::priority_queue<Busy, std::vector<Busy>, std::greater<>> busy;
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> free;
  std::uint32_t slots = 0;
  std::vector<std::uint32_t> slot_of(intervals.size());
  for (const std::size_t i : order) {
    while (!busy.empty() && busy.top().first <= intervals[i].first) {
      free.push(busy.top().second);
      busy.pop();
    }
    std::uint32_t slot = slots;
    if (free.empty()) {
      ++slots;
    } else {
      slot = free.top();
      free.pop();
    }
    slot_of[i] = slot;
    busy.emplace(intervals[i].second, slot);
  }
  return slot_of;
}

}  // namespace rh::host
