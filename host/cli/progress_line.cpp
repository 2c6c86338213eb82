#include "cli/progress_line.hpp"

#include "base/clock.hpp"
#include "base/format.hpp"
#include "cli/state_colors.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <vector>

namespace rh::host {
namespace {

// The order the counts are shown in: outcomes first, then what is still under way.
constexpr StateId kShownOrder[] = {StateId::Completed, StateId::Cached,        StateId::Failed,   StateId::TimedOut,
                                   StateId::Crashed,   StateId::Cancelled,     StateId::NotReady, StateId::Running,
                                   StateId::Retrying,  StateId::AwaitingRetry, StateId::Pending};

constexpr auto kRedrawEvery = std::chrono::milliseconds(100);  // at most ten drawings a second

// Columns `text` takes: its UTF-8 characters, escape sequences excluded.
std::size_t columns_of(const std::string& text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {  // CSI ... final byte
      while (i + 1 < text.size() && !(text[i + 1] >= '@' && text[i + 1] <= '~' && text[i + 1] != '[')) ++i;
      ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string seconds_text(double seconds) {
  char buffer[32];
  if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  } else {
    const auto whole = static_cast<long long>(seconds);
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", whole / 60, whole % 60);
  }
  return buffer;
}

std::size_t terminal_width(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// The logger's sink while the line is shown: each message through the inner sink, above it.
class SinkAboveLine final : public spdlog::sinks::sink {
 public:
  SinkAboveLine(std::shared_ptr<ProgressLine> line, std::shared_ptr<spdlog::sinks::sink> inner)
      : line_(std::move(line)), inner_(std::move(inner)) {}
  void log(const spdlog::details::log_msg& msg) override {
    line_->above([&] { inner_->log(msg); });
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<ProgressLine> line_;
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

std::string render_progress(const ProgressSnapshot& s, std::size_t width, bool color) {
  std::vector<std::string> parts;
  parts.push_back(seconds_text(s.elapsed_seconds));
  parts.push_back(format_count(s.done) + "/" + format_count(s.seen) + " runs");
  for (StateId id : kShownOrder) {
    const std::int64_t n = s.in_state[static_cast<int>(id)];
    if (n > 0)
      parts.push_back(
          colored(format_count(static_cast<std::uint64_t>(n)) + " " + std::string(state_name(id)), id, color));
  }
  if (s.elapsed_seconds > 0) {
    parts.push_back(format_count(static_cast<std::uint64_t>(static_cast<double>(s.done) / s.elapsed_seconds)) +
                    " runs/s");
  }
  if (!s.oldest_running.empty())
    parts.push_back("longest running: " + s.oldest_running + " " + seconds_text(s.oldest_age_seconds));
  // Whole parts only, in order, as many as fit: a line that wraps could not be redrawn.
  std::string line;
  std::size_t used = 0;
  for (const std::string& part : parts) {
    const std::size_t cols = columns_of(part) + (line.empty() ? 0 : 2);
    if (used + cols > width) break;
    if (!line.empty()) line += "  ";
    line += part;
    used += cols;
  }
  return line;
}

void ProgressCounter::on_event(const TaskRunEvent& event) {
  if (event.is_flow_run) return;
  if (!event.previous) seen_.fetch_add(1, std::memory_order_relaxed);
  in_state_[static_cast<int>(event.state)].fetch_add(1, std::memory_order_relaxed);
  if (event.previous) in_state_[static_cast<int>(*event.previous)].fetch_sub(1, std::memory_order_relaxed);
  const bool runs_now = is_running(event.state);
  const bool ran = event.previous && is_running(*event.previous);
  if (runs_now == ran) return;
  std::lock_guard<SpinLock> lock(running_lock_);
  if (runs_now) {
    started_[event.run_id] = event.time_us;
    running_.emplace(std::make_pair(event.time_us, event.run_id), std::string(event.run_name));
  } else if (const auto it = started_.find(event.run_id); it != started_.end()) {
    running_.erase({it->second, event.run_id});
    started_.erase(it);
  }
}

ProgressSnapshot ProgressCounter::snapshot(std::int64_t now_us) const {
  ProgressSnapshot s;
  s.seen = seen_.load(std::memory_order_relaxed);
  for (int i = 0; i < kStateCount; ++i) {
    s.in_state[i] = in_state_[i].load(std::memory_order_relaxed);
    if (is_terminal(static_cast<StateId>(i)) && s.in_state[i] > 0) s.done += static_cast<std::uint64_t>(s.in_state[i]);
  }
  std::lock_guard<SpinLock> lock(running_lock_);
  if (!running_.empty()) {
    s.oldest_running = running_.begin()->second;
    s.oldest_age_seconds = static_cast<double>(now_us - running_.begin()->first.first) / 1e6;
  }
  return s;
}

ProgressLine::ProgressLine(std::FILE* out, bool color) : out_(out), color_(color) {}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::start(EventBus& bus) {
  bus_ = &bus;
  start_us_ = wall_us();
  subscription_ = bus.subscribe([this](const TaskRunEvent& event) { counter_.on_event(event); });
  thread_ = std::thread([this] { draw_loop(); });
}

void ProgressLine::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || bus_ == nullptr) return;
    stopping_ = true;
    erase_locked();
  }
  stop_requested_.notify_all();
  if (thread_.joinable()) thread_.join();
  bus_->unsubscribe(subscription_);
}

void ProgressLine::draw_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_requested_.wait_for(lock, kRedrawEvery, [this] { return stopping_; })) {
    const std::int64_t now = wall_us();
    ProgressSnapshot snapshot = counter_.snapshot(now);
    snapshot.elapsed_seconds = static_cast<double>(now - start_us_) / 1e6;
    // One column short of the width: a line that fills the last column wraps on some terminals.
    const std::string line = render_progress(snapshot, terminal_width(out_) - 1, color_);
    std::fputs("\r", out_);
    std::fputs(line.c_str(), out_);
    std::fputs("\033[K", out_);
    std::fflush(out_);
    drawn_ = true;
  }
}

void ProgressLine::erase_locked() {
  if (!drawn_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  drawn_ = false;
}

void ProgressLine::print_logs_above(const std::shared_ptr<ProgressLine>& line) {
  for (auto& sink : spdlog::default_logger()->sinks()) sink = std::make_shared<SinkAboveLine>(line, sink);
}

bool progress_wanted(bool disabled_by_flag, const std::string& log_format) {
  if (disabled_by_flag || log_format != "text") return false;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && *ci != '\0' && std::string_view(ci) != "false") return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(STDERR_FILENO) == 1;
}

}  // namespace rh::host
