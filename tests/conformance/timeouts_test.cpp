// Conformance: timeouts on every runner. Each attempt gets its own deadline, TimedOut is a
// FAILED-type state, an rh::TimeoutError thrown by the task counts as a timeout, timeouts
// are retried while retries remain (also after a delay, also through a retry condition),
// on_failure fires once for TimedOut, a late result is discarded and logged, and a
// cancelled attempt is neither a timeout nor retried.
#include "arrivals.hpp"
#include "runner_params.hpp"

#include "log_capture.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

constexpr std::int64_t kSecondNs = 1000000000;

TEST_P(RunnerConformance, EachAttemptHasItsOwnDeadline) {
  struct Attempt {
    std::int64_t start;
    std::int64_t deadline;
  };
  std::mutex mutex;
  std::vector<Attempt> attempts;
  auto h = harness();
  h->library()
      .task("slow_then_fast",
            [&](rh::TaskContext& ctx) -> json {
              {
                std::lock_guard<std::mutex> lock(mutex);
                attempts.push_back({rh::detail::host().now_ns(), rh::detail::host().ctx_deadline(ctx.handle())});
              }
              if (ctx.run_count() == 1) ctx.sleep(30s);  // ends with rh::TimeoutError at the deadline
              return ctx.run_count();
            })
      .timeout(0.2)
      .retries(1);
  auto scope = h->run_task("slow_then_fast");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(run.result(), "2");
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(attempts.size(), 2u);
  for (const Attempt& a : attempts) {
    ASSERT_NE(a.deadline, RH_DEADLINE_NONE);
    EXPECT_GT(a.deadline, a.start);
    EXPECT_LE(a.deadline - a.start, kSecondNs / 5);
  }
  // The second attempt started after the first one's deadline and got a fresh one.
  EXPECT_GE(attempts[1].start, attempts[0].deadline);
  EXPECT_GT(attempts[1].deadline, attempts[1].start);
}

TEST_P(RunnerConformance, TimedOutIsAFailedTypeStateWithTheEngineMessage) {
  auto h = harness();
  h->library().task("long_nap", [](rh::TaskContext& ctx) { ctx.sleep(30s); }).timeout(0.1);
  h->library().flow("caller", [](rh::FlowContext& flow) -> json {
    rh::Future f = flow.submit("long_nap");
    f.wait();
    const rh::State state = f.state();
    json out = {{"name", state.name}, {"type", rh::to_string(state.type)}, {"final", state.final}};
    try {
      f.result();
    } catch (const rh::TaskRunError& e) {
      out["error_type"] = e.error_type();
      out["error_message"] = e.error_message();
    }
    return out;
  });
  auto scope = h->run_flow("caller");
  EXPECT_EQ(json::parse(scope->flow_run()->result()),
            (json{{"name", "TimedOut"},
                  {"type", "FAILED"},
                  {"final", true},
                  {"error_type", "rh::TimeoutError"},
                  {"error_message", "Task run exceeded timeout of 0.1 second(s)"}}));
  const auto& run = *runs_of(*scope, "long_nap").at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(run.message(run.current()), "Task run exceeded timeout of 0.1 second(s)");
  EXPECT_EQ(host::state_info(host::StateId::TimedOut).type, static_cast<std::uint32_t>(RH_STATE_FAILED));
}

TEST_P(RunnerConformance, TimeoutErrorThrownByTheTaskIsATimeout) {
  auto h = harness();
  h->library().task("impatient", []() -> json { throw rh::TimeoutError("db did not answer"); });
  auto scope = h->run_task("impatient");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(run.message(run.current()), "Task run failed due to timeout: rh::TimeoutError: db did not answer");
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->type, "rh::TimeoutError");
}

TEST_P(RunnerConformance, TimeoutsAreRetriedThenEndTimedOutWithOneFailureHook) {
  std::atomic<int> on_running{0};
  std::atomic<int> on_completion{0};
  std::mutex mutex;
  Names failures;
  auto h = harness();
  h->library()
      .task("always_slow", [](rh::TaskContext& ctx) { ctx.sleep(30s); })
      .timeout(0.1)
      .retries(2)
      .on_running([&](const rh::RunInfo&) { ++on_running; })
      .on_completion([&](const rh::RunInfo&) { ++on_completion; })
      .on_failure([&](const rh::RunInfo& info) {
        std::lock_guard<std::mutex> lock(mutex);
        failures.push_back(info.state.name + "/" + std::to_string(info.run_count));
      });
  auto scope = h->run_task("always_slow");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Retrying", "TimedOut"}));
  EXPECT_EQ(run.message(run.current()), "Task run exceeded timeout of 0.1 second(s)");
  EXPECT_EQ(on_running.load(), 3);
  EXPECT_EQ(on_completion.load(), 0);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(failures, (Names{"TimedOut/3"}));
}

TEST_P(RunnerConformance, TimeoutIsRetriedAfterADelay) {
  auto h = harness();
  h->library()
      .task("slow_then_fast",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) ctx.sleep(30s);
              return ctx.run_count();
            })
      .timeout(0.1)
      .retries(1)
      .retry_delay(0.02);
  auto scope = h->run_task("slow_then_fast");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "Completed"}));
  EXPECT_EQ(run.result(), "2");
}

// After an engine timeout the condition is asked (from a runner continuation) and sees
// the run as TimedOut; its answer decides.
TEST_P(RunnerConformance, RetryConditionAfterAnEngineTimeoutCanRetry) {
  std::mutex mutex;
  Names asked;
  auto h = harness();
  h->library()
      .task("slow_then_fast",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) ctx.sleep(30s);
              return ctx.run_count();
            })
      .timeout(0.1)
      .retries(1)
      .retry_condition([&](const rh::RunInfo& info) {
        std::lock_guard<std::mutex> lock(mutex);
        asked.push_back(info.state.name + ":" + info.error_type + ":" + std::to_string(info.run_count));
        return true;
      });
  auto scope = h->run_task("slow_then_fast");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Completed"}));
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(asked, (Names{"TimedOut:rh::TimeoutError:1"}));
}

TEST_P(RunnerConformance, RetryConditionAfterAnEngineTimeoutCanDecline) {
  std::atomic<int> asked{0};
  auto h = harness();
  h->library()
      .task("long_nap", [](rh::TaskContext& ctx) { ctx.sleep(30s); })
      .timeout(0.1)
      .retries(3)
      .retry_condition([&](const rh::RunInfo&) {
        ++asked;
        return false;
      });
  auto scope = h->run_task("long_nap");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(asked.load(), 1);
}

// A task that ignores cancellation is reported TimedOut while it still runs; what it
// returns afterwards is discarded, and that is logged.
TEST_P(RunnerConformance, LateResultOfATimedOutAttemptIsDiscardedAndLogged) {
  LogCapture logs;
  std::atomic<bool> timed_out{false};
  auto h = harness();
  h->bus().subscribe([&](const host::TaskRunEvent& event) {
    if (event.state == host::StateId::TimedOut) timed_out = true;
  });
  h->library()
      .task("stubborn",
            [&]() -> json {
              const auto guard = std::chrono::steady_clock::now() + 30s;
              while (!timed_out && std::chrono::steady_clock::now() < guard) std::this_thread::yield();
              return "late";
            })
      .timeout(0.1);
  auto scope = h->run_task("stubborn");
  h->stop();  // waits for the abandoned attempt to return
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_TRUE(run.result().empty());
  EXPECT_EQ(
      logs.matching("[" + run.name() + "] an attempt returned after its timeout; its outcome is discarded").size(), 1u)
      << logs.dump();
}

// Cancellation (the host interrupted) ends the attempt Cancelled, not TimedOut, and is
// not retried although retries remain.
TEST_P(RunnerConformance, CancelledAttemptIsNotRetried) {
  Arrivals started;
  std::atomic<int> calls{0};
  auto h = harness();
  h->library()
      .task("sleeper",
            [&](rh::TaskContext& ctx) {
              ++calls;
              started.arrive();
              ctx.sleep(120s);
            })
      .retries(3)
      .timeout(60);
  std::unique_ptr<host::RunScope> scope;
  std::thread host_thread([&] { scope = h->run_task("sleeper"); });
  EXPECT_TRUE(started.wait_for(1)) << "hang guard: the run did not start";
  h->engine().interrupt();
  host_thread.join();
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Cancelled"}));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(run.run_count(), 1u);
}

TEST_P(RunnerConformance, FailureHookOfATimedOutRunSeesTheTimeout) {
  std::mutex mutex;
  std::vector<rh::RunInfo> seen;
  auto h = harness();
  h->library()
      .task("long_nap", [](rh::TaskContext& ctx) { ctx.sleep(30s); })
      .timeout(0.1)
      .on_failure([&](const rh::RunInfo& info) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(info);
      });
  auto scope = h->run_task("long_nap");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].run_id, run.id());
  EXPECT_EQ(seen[0].state.name, "TimedOut");
  EXPECT_EQ(seen[0].state.type, rh::StateType::Failed);
  EXPECT_EQ(seen[0].state.message, "Task run exceeded timeout of 0.1 second(s)");
  EXPECT_EQ(seen[0].error_type, "rh::TimeoutError");
  EXPECT_EQ(seen[0].run_count, 1u);
}

// A condition that throws after an engine timeout means "do not retry", and is logged.
TEST_P(RunnerConformance, ThrowingRetryConditionAfterAnEngineTimeoutEndsTimedOut) {
  LogCapture logs;
  auto h = harness();
  h->library()
      .task("long_nap", [](rh::TaskContext& ctx) { ctx.sleep(30s); })
      .timeout(0.1)
      .retries(2)
      .retry_condition([](const rh::RunInfo&) -> bool { throw std::runtime_error("condition broke"); });
  auto scope = h->run_task("long_nap");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(logs.matching("[" + run.name() + "] retry condition raised std::runtime_error: condition broke").size(), 1u)
      << logs.dump();
}

}  // namespace
}  // namespace rh::testing
