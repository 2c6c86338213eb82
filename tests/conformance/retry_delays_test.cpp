// Conformance: retry delays on every runner. AwaitingRetry (with its scheduled time) comes
// before each Retrying, a delay list shorter than the retries repeats its last value,
// exponential backoff doubles, jitter is really applied, a zero delay retries at once.
// Times are checked only as lower bounds.
#include "runner_params.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;

// Wall clock and the monotonic clock may disagree by a little; timestamps are microseconds.
constexpr std::int64_t kClockSlackUs = 2000;

std::int64_t wall_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Wall-clock times at which a task's attempts threw, in attempt order.
class FailureTimes {
 public:
  void mark() {
    std::lock_guard<std::mutex> lock(mutex_);
    times_.push_back(wall_now_us());
  }
  std::vector<std::int64_t> times() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return times_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::int64_t> times_;
};

std::vector<std::size_t> awaiting_retry_indices(const host::Run& run) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < run.history().size(); ++i) {
    if (run.history()[i].id == host::StateId::AwaitingRetry) out.push_back(i);
  }
  return out;
}

// The delay the engine chose, read back from the AwaitingRetry message
// "Retry k/N in <seconds> second(s)".
double announced_delay(const host::Run& run, const host::StateEntry& entry) {
  const std::string message(run.message(entry));
  int k = 0;
  int n = 0;
  double seconds = -1;
  if (std::sscanf(message.c_str(), "Retry %d/%d in %lf second(s)", &k, &n, &seconds) != 3) return -1;
  return seconds;
}

// For each AwaitingRetry record k: its scheduled time lies `delays[k]` after the failure
// (no earlier than delay after the task threw, no later than delay after the record
// itself), and the next record is Retrying, no earlier than the scheduled time.
// `rounding_us` absorbs the engine truncating delays to whole microseconds (and, for
// delays read back from a message, its 6 significant digits).
void expect_delays(const host::Run& run, const std::vector<std::int64_t>& failed_at, const std::vector<double>& delays,
                   std::int64_t rounding_us = 1) {
  const auto indices = awaiting_retry_indices(run);
  ASSERT_EQ(indices.size(), delays.size());
  ASSERT_GE(failed_at.size(), delays.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const host::StateEntry& entry = run.history()[indices[k]];
    const host::StateDetail* detail = run.detail(entry);
    ASSERT_NE(detail, nullptr) << "AwaitingRetry " << k << " has no scheduled time";
    const auto delay_us = static_cast<std::int64_t>(delays[k] * 1e6);
    EXPECT_GE(detail->scheduled_us, failed_at[k] + delay_us - rounding_us) << "retry " << k + 1;
    EXPECT_LE(detail->scheduled_us - entry.time_us, delay_us + rounding_us) << "retry " << k + 1;
    ASSERT_LT(indices[k] + 1, run.history().size());
    const host::StateEntry& next = run.history()[indices[k] + 1];
    EXPECT_EQ(next.id, host::StateId::Retrying) << "retry " << k + 1;
    EXPECT_GE(next.time_us, detail->scheduled_us - kClockSlackUs) << "retry " << k + 1;
    EXPECT_GE(next.time_us - entry.time_us, delay_us - kClockSlackUs) << "retry " << k + 1;
  }
}

TEST_P(RunnerConformance, RetryDelayPutsAwaitingRetryWithItsScheduledTimeBeforeEachRetrying) {
  FailureTimes failures;
  std::atomic<int> on_running{0};
  std::mutex events_mutex;
  std::vector<std::int64_t> event_scheduled;
  auto h = harness();
  h->bus().subscribe([&](const host::TaskRunEvent& event) {
    if (event.state != host::StateId::AwaitingRetry) return;
    std::lock_guard<std::mutex> lock(events_mutex);
    event_scheduled.push_back(event.scheduled_us);
  });
  h->library()
      .task("flaky",
            [&](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() < 3) {
                failures.mark();
                throw std::runtime_error("again");
              }
              return ctx.run_count();
            })
      .retries(2)
      .retry_delay(0.05)
      .on_running([&](const rh::RunInfo&) { ++on_running; });
  auto scope = h->run_task("flaky");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run),
            (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed"}));
  EXPECT_EQ(run.result(), "3");
  expect_delays(run, failures.times(), {0.05, 0.05});
  const auto indices = awaiting_retry_indices(run);
  ASSERT_EQ(indices.size(), 2u);
  EXPECT_EQ(run.message(run.history()[indices[0]]), "Retry 1/2 in 0.05 second(s)");
  EXPECT_EQ(run.message(run.history()[indices[1]]), "Retry 2/2 in 0.05 second(s)");
  // on_running fires on Running and on each Retrying, also after a delay.
  EXPECT_EQ(on_running.load(), 3);
  // The AwaitingRetry events carry the same scheduled times.
  std::lock_guard<std::mutex> lock(events_mutex);
  ASSERT_EQ(event_scheduled.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k)
    EXPECT_EQ(event_scheduled[k], run.detail(run.history()[indices[k]])->scheduled_us);
}

TEST_P(RunnerConformance, RetryDelayListShorterThanRetriesRepeatsItsLastValue) {
  FailureTimes failures;
  auto h = harness();
  h->library()
      .task("always",
            [&]() -> json {
              failures.mark();
              throw std::runtime_error("always");
            })
      .retries(3)
      .retry_delay({0.01, 0.03});
  auto scope = h->run_task("always");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying",
                                     "AwaitingRetry", "Retrying", "Failed"}));
  expect_delays(run, failures.times(), {0.01, 0.03, 0.03});
  const auto indices = awaiting_retry_indices(run);
  ASSERT_EQ(indices.size(), 3u);
  EXPECT_EQ(run.message(run.history()[indices[0]]), "Retry 1/3 in 0.01 second(s)");
  EXPECT_EQ(run.message(run.history()[indices[1]]), "Retry 2/3 in 0.03 second(s)");
  EXPECT_EQ(run.message(run.history()[indices[2]]), "Retry 3/3 in 0.03 second(s)");
}

TEST_P(RunnerConformance, ExponentialBackoffDoublesTheDelay) {
  FailureTimes failures;
  auto h = harness();
  h->library()
      .task("always",
            [&]() -> json {
              failures.mark();
              throw std::runtime_error("always");
            })
      .retries(3)
      .retry_delay(rh::exponential_backoff(0.01));
  auto scope = h->run_task("always");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying",
                                     "AwaitingRetry", "Retrying", "Failed"}));
  expect_delays(run, failures.times(), {0.01, 0.02, 0.04});
}

// A zero delay retries at once (no AwaitingRetry); a later non-zero one waits.
TEST_P(RunnerConformance, ZeroDelayRetriesAtOnce) {
  auto h = harness();
  h->library()
      .task("flaky",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() < 3) throw std::runtime_error("again");
              return "ok";
            })
      .retries(2)
      .retry_delay({0.0, 0.01});
  auto scope = h->run_task("flaky");
  EXPECT_EQ(state_names(*scope->runs().at(0)),
            (Names{"Pending", "Running", "Retrying", "AwaitingRetry", "Retrying", "Completed"}));
}

// Delay d with jitter factor f lands in [d, d * (1 + f)], and the delays differ.
TEST_P(RunnerConformance, RetryJitterIsApplied) {
  FailureTimes failures;
  auto h = harness();
  constexpr double kDelay = 0.01;
  constexpr double kFactor = 4;
  constexpr int kRetries = 6;
  h->library()
      .task("always",
            [&]() -> json {
              failures.mark();
              throw std::runtime_error("always");
            })
      .retries(kRetries)
      .retry_delay(kDelay)
      .retry_jitter_factor(kFactor);
  auto scope = h->run_task("always");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(run.state(), host::StateId::Failed);
  const auto indices = awaiting_retry_indices(run);
  ASSERT_EQ(indices.size(), static_cast<std::size_t>(kRetries));
  std::vector<double> delays;
  std::set<double> distinct;
  for (std::size_t index : indices) {
    const double delay = announced_delay(run, run.history()[index]);
    // %g keeps 6 significant digits: allow that rounding at the top end.
    EXPECT_GE(delay, kDelay) << run.message(run.history()[index]);
    EXPECT_LE(delay, kDelay * (1 + kFactor) * (1 + 1e-5)) << run.message(run.history()[index]);
    delays.push_back(delay);
    distinct.insert(delay);
  }
  EXPECT_GT(distinct.size(), 1u) << "six jittered delays were all equal";
  // The scheduled times follow the jittered delays, not the base one.
  expect_delays(run, failures.times(), delays, /*rounding_us=*/2);
}

}  // namespace
}  // namespace rh::testing
