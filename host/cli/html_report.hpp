// --html FILE: the HTML report of this invocation's runs (docs/html-report.md), written as
// the run ends. Each run is encoded as it retires (cli/report_page_data.hpp), with the slot
// each attempt ran in (cli/attempt_tracks.hpp), so memory holds no run past its retirement.
#pragma once

#include "cli/attempt_tracks.hpp"
#include "cli/report_page_data.hpp"
#include "engine/run.hpp"
#include "engine/run_scope.hpp"
#include "events/event_bus.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace rh::host {

class HtmlReport {
 public:
  // Checks the path now (OutputFileError). `tracks`, started before the runs, must outlive this.
  HtmlReport(const std::string& path, AttemptTracks& tracks);
  ~HtmlReport();
  HtmlReport(const HtmlReport&) = delete;
  HtmlReport& operator=(const HtmlReport&) = delete;

  // Before the runs start: the root run's first state is the page's origin of time.
  void start(EventBus& bus);
  // The scope's retire observer. Never throws (an error is kept for write()).
  void add(const Run& run) noexcept;
  // After the runs ended: the runs still held, then the page. Throws OutputFileError.
  void write(const RunScope& scope);

 private:
  void on_event(const TaskRunEvent& event);
  void encode(const Run& run);  // under mutex_

  AttemptTracks& tracks_;
  ReportPageData data_;
  EventBus* bus_ = nullptr;
  std::uint64_t subscription_ = 0;
  std::atomic<bool> has_origin_{false};
  std::mutex mutex_;
  std::int64_t origin_us_ = 0;
  ReportPageFlow root_;  // of a task run started on its own, once added
  std::string error_;
};

}  // namespace rh::host
