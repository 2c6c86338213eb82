#include "cli/html_report.hpp"

#include "base/output_files.hpp"
#include "engine/run_history.hpp"
#include "engine/task_registry.hpp"

namespace rh::host {
namespace {

const std::string kNoParams = "{}";
const std::string kNullResult = "null";

std::string error_of(const Run& run) {
  const RunError* error = run.error();
  return error == nullptr ? std::string() : error->type + ": " + error->message;
}

// What the page says of the root run: a flow run, or a task run started on its own.
ReportPageFlow flow_of(const Run& root) {
  ReportPageFlow flow;
  flow.name = root.name();
  flow.flow = root.task().name;
  flow.is_flow = root.is_flow();
  flow.state = root.state();
  flow.message = std::string(root.message(root.current()));
  flow.params = root.params().empty() ? kNoParams : root.params();
  flow.has_result = is_completed(root.state());
  if (flow.has_result) flow.result = root.result().empty() ? kNullResult : root.result();
  flow.error = error_of(root);
  flow.history = history_records(root);
  return flow;
}

}  // namespace

HtmlReport::HtmlReport(const std::string& path, AttemptTracks& tracks) : tracks_(tracks), data_(path) {}

HtmlReport::~HtmlReport() {
  if (bus_ != nullptr) bus_->unsubscribe(subscription_);
}

void HtmlReport::start(EventBus& bus) {
  bus_ = &bus;
  subscription_ = bus.subscribe([this](const TaskRunEvent& event) { on_event(event); });
}

void HtmlReport::on_event(const TaskRunEvent& event) {
  // The root run's first state comes before any other run exists, so before any is added.
  if (has_origin_.load(std::memory_order_relaxed)) return;
  if (!event.is_flow_run && event.flow_run_id != 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (has_origin_.load(std::memory_order_relaxed)) return;
  origin_us_ = event.time_us;
  has_origin_.store(true, std::memory_order_relaxed);
}

void HtmlReport::encode(const Run& run) {
  if (!has_origin_.load(std::memory_order_relaxed) && !run.history().empty()) {
    origin_us_ = run.history().front().time_us;  // started before start(): no event seen
    has_origin_.store(true, std::memory_order_relaxed);
  }
  ReportPageRun page_run;
  page_run.no = run.id();
  page_run.name = run.name();
  page_run.task = run.task().name;
  page_run.state = run.state();
  page_run.params = run.params().empty() ? &kNoParams : &run.params();
  if (is_completed(run.state())) page_run.result = run.result().empty() ? &kNullResult : &run.result();
  page_run.error = error_of(run);
  page_run.history = history_records(run);
  page_run.upstreams.reserve(run.upstreams().size());
  for (const Upstream& upstream : run.upstreams()) page_run.upstreams.push_back(upstream.run->id());
  for (const AttemptTracks::Track& track : tracks_.tracks_of(run.id())) {
    page_run.attempt_slots.push_back(data_.slot(AttemptTracks::name_of(track)));
  }
  data_.add(page_run, origin_us_);
  if (run.parent_id() == 0) root_ = flow_of(run);  // a task run started on its own
}

void HtmlReport::add(const Run& run) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    encode(run);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.empty()) error_ = e.what();
  }
}

void HtmlReport::write(const RunScope& scope) {
  {
    const auto hold = scope.hold_retirement();  // every run once: added already, or held
    for (const RunRef& run : scope.runs()) add(*run);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_.empty()) throw OutputFileError("the HTML report could not be made: " + error_);
  if (const RunRef& flow_run = scope.flow_run()) root_ = flow_of(*flow_run);
  ReportPageFlow flow = std::move(root_);
  flow.id = scope.flow_run_uuid();
  flow.command_line = scope.provenance().command_line;
  flow.runner = scope.provenance().runner;
  if (!has_origin_.load(std::memory_order_relaxed) && !flow.history.empty()) origin_us_ = flow.history.front().time_us;
  flow.start_us = origin_us_;
  flow.end_us = flow.history.empty() ? origin_us_ : flow.history.back().time_us;
  data_.write(flow, "run");
}

}  // namespace rh::host
