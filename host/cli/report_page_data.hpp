// The data of the HTML report's page (docs/html-report.md, format 1) and the page file: one
// encoder for a run that just ended (--html) and for one read back from the store
// (`runner-host report --html`). Runs are encoded one at a time into a scratch file beside
// the page as they come, so memory holds only the tables (tasks, slots, counts), and the
// page appears whole or not at all.
#pragma once

#include "store/store_records.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rh::host {

// One run as the page shows it. Times are wall clock, Unix microseconds.
struct ReportPageRun {
  std::uint64_t no = 0;
  std::string_view name;
  std::string_view task;
  StateId state = StateId::Pending;
  const std::string* params = nullptr;  // JSON text; null: not known
  const std::string* result = nullptr;  // JSON text; null: none kept
  std::string error;                    // "Type: message", or empty
  std::vector<StateRecord> history;
  std::vector<std::uint64_t> upstreams;
  // The slot of each attempt (each Running or Retrying entry of history), in order; an
  // attempt past its end has slot -1 (unknown).
  std::vector<std::int32_t> attempt_slots;
};

// The flow run (or the task run started on its own) the page is about.
struct ReportPageFlow {
  std::string id;
  std::string name;
  std::string flow;  // the flow's or task's name
  bool is_flow = true;
  StateId state = StateId::Pending;
  std::string message;
  std::string command_line;
  std::string runner;
  std::int64_t start_us = 0;  // the origin of every other time in the page
  std::int64_t end_us = 0;
  std::string params;  // JSON text, or empty
  std::string result;  // JSON text, or empty (none kept)
  bool has_result = false;
  std::string error;
  std::vector<StateRecord> history;
};

class ReportPageData {
 public:
  // Past this many runs only runs that did not complete are kept (the rest are counted as
  // omitted), so a page of a run of millions still opens.
  static constexpr std::uint64_t kMaxRuns = 200000;
  // Longest params, result or error text kept per run, in bytes.
  static constexpr std::size_t kMaxTextBytes = 2000;

  // `path`: the page to write, checked now (OutputFileError); the scratch file goes beside it.
  explicit ReportPageData(const std::string& path, std::uint64_t max_runs = kMaxRuns);
  ~ReportPageData();
  ReportPageData(const ReportPageData&) = delete;
  ReportPageData& operator=(const ReportPageData&) = delete;

  // The index of the slot called `name` ("thread 2"), adding it.
  std::int32_t slot(const std::string& name);
  // Counts the run and encodes it, times relative to `origin_us`, unless the page has
  // max_runs already and the run completed. Not thread-safe.
  void add(const ReportPageRun& run, std::int64_t origin_us);
  // Writes the page (OutputFileError), the flow's times as the origin.
  void write(const ReportPageFlow& flow, const std::string& source);

 private:
  std::string path_;
  std::uint64_t max_runs_;
  std::FILE* scratch_ = nullptr;
  std::string error_;  // the first write error of the scratch file
  std::uint64_t kept_ = 0;
  std::uint64_t omitted_ = 0;
  std::map<std::string, std::uint64_t> counts_;  // by state name, over every run added
  std::vector<std::string> tasks_;
  std::unordered_map<std::string, std::uint32_t> task_index_;
  std::vector<std::string> slots_;
  std::unordered_map<std::string, std::int32_t> slot_index_;
  std::string row_;  // reused
};

// Assigns slots to the attempts of stored runs, which record no thread: each attempt, in
// order of start, takes the lowest slot free then. `intervals` are (start, end) pairs; the
// result is their slot numbers, 0-based, in the same order.
std::vector<std::uint32_t> pack_into_slots(const std::vector<std::pair<std::int64_t, std::int64_t>>& intervals);

}  // namespace rh::host
