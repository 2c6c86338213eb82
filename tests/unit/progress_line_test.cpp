// The progress line's text (cli/progress_line.hpp): what it counts from events and how it
// fits a terminal's width.
#include "cli/progress_line.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rh::host {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TaskRunEvent event(std::uint64_t run, StateId state, std::optional<StateId> previous, std::int64_t time_us,
                   const char* name = "nap-1a2") {
  TaskRunEvent e;
  e.run_id = run;
  e.run_name = name;
  e.task_name = "nap";
  e.state = state;
  e.previous = previous;
  e.time_us = time_us;
  return e;
}

TEST(ProgressCounter, CountsEachRunInItsCurrentStateAndTheLongestRunning) {
  ProgressCounter counter;
  counter.on_event(event(1, StateId::Pending, std::nullopt, 0, "first-aaa"));
  counter.on_event(event(2, StateId::Pending, std::nullopt, 0, "second-bbb"));
  counter.on_event(event(3, StateId::Pending, std::nullopt, 0, "third-ccc"));
  counter.on_event(event(1, StateId::Running, StateId::Pending, 1'000'000, "first-aaa"));
  counter.on_event(event(2, StateId::Running, StateId::Pending, 2'000'000, "second-bbb"));
  counter.on_event(event(1, StateId::Completed, StateId::Running, 3'000'000, "first-aaa"));
  // A flow run is not a task run: not counted.
  TaskRunEvent flow = event(9, StateId::Pending, std::nullopt, 0, "flow-zzz");
  flow.is_flow_run = true;
  counter.on_event(flow);

  const ProgressSnapshot s = counter.snapshot(4'500'000);
  EXPECT_EQ(s.seen, 3u);
  EXPECT_EQ(s.done, 1u);
  EXPECT_EQ(s.in_state[static_cast<int>(StateId::Completed)], 1);
  EXPECT_EQ(s.in_state[static_cast<int>(StateId::Running)], 1);
  EXPECT_EQ(s.in_state[static_cast<int>(StateId::Pending)], 1);
  EXPECT_EQ(s.oldest_running, "second-bbb");
  EXPECT_DOUBLE_EQ(s.oldest_age_seconds, 2.5);

  // A retry: Running -> AwaitingRetry -> Retrying -> Failed; still one run.
  counter.on_event(event(2, StateId::AwaitingRetry, StateId::Running, 5'000'000, "second-bbb"));
  EXPECT_TRUE(counter.snapshot(5'000'000).oldest_running.empty());
  counter.on_event(event(2, StateId::Retrying, StateId::AwaitingRetry, 6'000'000, "second-bbb"));
  EXPECT_EQ(counter.snapshot(6'000'000).oldest_running, "second-bbb");
  counter.on_event(event(2, StateId::Failed, StateId::Retrying, 7'000'000, "second-bbb"));
  const ProgressSnapshot after = counter.snapshot(7'000'000);
  EXPECT_EQ(after.seen, 3u);
  EXPECT_EQ(after.done, 2u);
  EXPECT_EQ(after.in_state[static_cast<int>(StateId::Failed)], 1);
  EXPECT_EQ(after.in_state[static_cast<int>(StateId::Retrying)], 0);
  EXPECT_TRUE(after.oldest_running.empty());
}

ProgressSnapshot sample() {
  ProgressSnapshot s;
  s.elapsed_seconds = 12.34;
  s.seen = 1500;
  s.done = 1200;
  s.in_state[static_cast<int>(StateId::Completed)] = 1190;
  s.in_state[static_cast<int>(StateId::Failed)] = 10;
  s.in_state[static_cast<int>(StateId::Running)] = 2;
  s.in_state[static_cast<int>(StateId::Pending)] = 298;
  s.oldest_running = "fetch-3fa";
  s.oldest_age_seconds = 2.1;
  return s;
}

TEST(RenderProgress, ShowsElapsedDoneOfSeenCountsRateAndTheLongestRun) {
  EXPECT_EQ(render_progress(sample(), 200, false),
            "12.3 s  1,200/1,500 runs  1,190 Completed  10 Failed  2 Running  298 Pending  97 runs/s  "
            "longest running: fetch-3fa 2.1 s");
}

TEST(RenderProgress, ColoursTheStatesAsPrefectsUi) {
  const std::string line = render_progress(sample(), 200, true);
  EXPECT_THAT(line, HasSubstr("\033[32m1,190 Completed\033[0m"));
  EXPECT_THAT(line, HasSubstr("\033[31m10 Failed\033[0m"));
  EXPECT_THAT(line, HasSubstr("\033[34m2 Running\033[0m"));
}

TEST(RenderProgress, KeepsWholePartsThatFitTheWidth) {
  // Colours take no column: the coloured line is cut where the plain one is.
  for (bool color : {false, true}) {
    const std::string line = render_progress(sample(), 41, color);
    EXPECT_THAT(line, HasSubstr("1,200/1,500 runs")) << color;
    EXPECT_THAT(line, Not(HasSubstr("Failed"))) << color;
  }
  EXPECT_EQ(render_progress(sample(), 41, false), "12.3 s  1,200/1,500 runs  1,190 Completed");
  EXPECT_EQ(render_progress(sample(), 40, false), "12.3 s  1,200/1,500 runs");
  EXPECT_EQ(render_progress(sample(), 3, false), "");
}

TEST(RenderProgress, LongRunsShowMinutes) {
  ProgressSnapshot s = sample();
  s.elapsed_seconds = 125;
  EXPECT_THAT(render_progress(s, 200, false), ::testing::StartsWith("2:05  1,200/1,500 runs"));
}

}  // namespace
}  // namespace rh::host
