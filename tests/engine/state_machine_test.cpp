// The state machine (engine/state_machine.cpp): the table of legal transitions, every
// transition a real run records is in it, and an illegal one is an engine bug: it aborts
// under the debug policy (the default without NDEBUG) and ends the run Crashed, naming both
// states, under the release policy (the default with NDEBUG). A copy of the table without
// Running -> Completed stands for the bug: the engine asks for a transition it forbids.
#include "engine_harness.hpp"

#include "engine/state_machine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rh::testing {
namespace {

using host::kLegalTransitions;
using host::StateId;
using ::testing::ElementsAre;
using S = host::StateId;

constexpr S kAll[] = {S::Pending, S::NotReady, S::AwaitingRetry, S::Running, S::Retrying, S::Completed,
                      S::Cached,  S::Failed,   S::TimedOut,      S::Crashed, S::Cancelled};

TEST(TransitionTable, EveryRunStartsPending) {
  for (S to : kAll) EXPECT_EQ(kLegalTransitions.allows(std::nullopt, to), to == S::Pending) << host::state_name(to);
}

TEST(TransitionTable, TerminalStatesLeadNowhere) {
  for (S from : kAll) {
    if (!host::is_terminal(from)) continue;
    for (S to : kAll)
      EXPECT_FALSE(kLegalTransitions.allows(from, to)) << host::state_name(from) << " -> " << host::state_name(to);
  }
}

TEST(TransitionTable, PendingStartsOrEndsBeforeAnyAttempt) {
  const std::vector<S> legal = {S::NotReady, S::Running, S::Failed, S::Crashed, S::Cancelled};
  for (S to : kAll) {
    const bool expected = std::find(legal.begin(), legal.end(), to) != legal.end();
    EXPECT_EQ(kLegalTransitions.allows(S::Pending, to), expected) << "Pending -> " << host::state_name(to);
  }
}

TEST(TransitionTable, AnAttemptEndsOrRetries) {
  const std::vector<S> legal = {S::Completed, S::Cached,    S::Failed,        S::TimedOut,
                                S::Crashed,   S::Cancelled, S::AwaitingRetry, S::Retrying};
  for (S from : {S::Running, S::Retrying}) {
    for (S to : kAll) {
      const bool expected = std::find(legal.begin(), legal.end(), to) != legal.end();
      EXPECT_EQ(kLegalTransitions.allows(from, to), expected)
          << host::state_name(from) << " -> " << host::state_name(to);
    }
  }
}

TEST(TransitionTable, AWaitingRetryOnlyRetriesOrEndsWithoutAnAttempt) {
  for (S to : kAll) {
    const bool expected = to == S::Retrying || to == S::Cancelled || to == S::Crashed;
    EXPECT_EQ(kLegalTransitions.allows(S::AwaitingRetry, to), expected) << "AwaitingRetry -> " << host::state_name(to);
  }
}

TEST(TransitionTable, MessagesNameBothStates) {
  EXPECT_EQ(host::illegal_transition_message(S::Running, S::Pending),
            "illegal transition from Running to Pending (an engine bug)");
  EXPECT_EQ(host::illegal_transition_message(std::nullopt, S::Completed),
            "illegal transition from nothing to Completed (an engine bug)");
}

TEST(TransitionTable, TheDefaultPolicyFollowsTheBuild) {
#ifdef NDEBUG
  EXPECT_EQ(host::default_illegal_transition_policy(), host::IllegalTransitionPolicy::CrashRun);
#else
  EXPECT_EQ(host::default_illegal_transition_policy(), host::IllegalTransitionPolicy::Abort);
#endif
}

// Every run of a flow that goes through every kind of ending: each pair of states in each
// history is in the table.
TEST(TransitionTable, EveryTransitionOfRealRunsIsInTheTable) {
  host::EngineOptions options;
  options.concurrency_limits = {{"closed", 0}};
  EngineHarness h("fiber", {{"max_workers", 2}}, options);
  std::atomic<int> flaky_calls{0};
  h.library().task("ok", [] { return 1; });
  h.library().task("boom", []() -> json { throw std::runtime_error("boom"); });
  h.library()
      .task("flaky",
            [&flaky_calls]() -> json {
              if (++flaky_calls < 3) throw std::runtime_error("not yet");
              return "ok";
            })
      .retries(3)
      .retry_delay({0, 0.001});
  h.library().task("slow", [](rh::TaskContext& ctx) { ctx.sleep(std::chrono::seconds(10)); }).timeout(0.01).retries(1);
  h.library().task("cached", [] { return 7; }).cache_by_inputs();
  h.library().task("closed", [] { return 0; }).tags({"closed"});
  h.library().task("crash", []() -> json { throw 42; });
  h.library().flow("everything", [](rh::FlowContext& flow) -> json {
    rh::Future boom = flow.submit("boom");
    rh::Future first = flow.submit("cached");
    first.wait();  // the second one then finds its result
    std::vector<rh::Future> all = {flow.submit("ok"),
                                   boom,
                                   flow.submit("flaky"),
                                   flow.submit("slow"),
                                   first,
                                   flow.submit("cached"),
                                   flow.submit("closed"),
                                   flow.submit("crash"),
                                   flow.submit("ok", json::object(), rh::wait_for({boom}))};
    rh::wait(all);
    return nullptr;
  });
  auto scope = h.run_flow("everything");
  std::vector<const host::Run*> runs = {scope->flow_run().get()};
  for (const auto& run : scope->runs()) runs.push_back(run.get());
  std::vector<std::string> finals;
  for (const host::Run* run : runs) {
    std::optional<S> from;
    for (const host::StateEntry& entry : run->history()) {
      EXPECT_TRUE(kLegalTransitions.allows(from, entry.id))
          << run->name() << ": " << (from ? host::state_name(*from) : "nothing") << " -> "
          << host::state_name(entry.id);
      from = entry.id;
    }
    finals.emplace_back(host::state_name(run->state()));
  }
  // The flow covered the endings it was written for.
  for (const char* state : {"Completed", "Failed", "TimedOut", "Cached", "Cancelled", "Crashed", "NotReady"}) {
    EXPECT_NE(std::find(finals.begin(), finals.end(), state), finals.end()) << state;
  }
}

// The table of the engine under test: the real one, without Running -> Completed.
const host::TransitionTable& without_running_to_completed() {
  static const host::TransitionTable table = [] {
    host::TransitionTable copy = kLegalTransitions;
    copy.allowed[static_cast<int>(S::Running)] &= static_cast<std::uint16_t>(~(1u << static_cast<int>(S::Completed)));
    return copy;
  }();
  return table;
}

host::EngineOptions buggy_engine(host::IllegalTransitionPolicy policy) {
  host::EngineOptions options;
  options.transitions = &without_running_to_completed();
  options.on_illegal_transition = policy;
  return options;
}

TEST(IllegalTransition, ReleasePolicyEndsTheRunCrashedNamingBothStates) {
  EngineHarness h("sequential", json::object(), buggy_engine(host::IllegalTransitionPolicy::CrashRun));
  std::vector<std::string> crashed_hooks;
  h.library().task("done", [] { return 1; }).on_crashed([&](const rh::RunInfo& run) {
    crashed_hooks.push_back(run.state.name + ": " + run.state.message);
  });
  std::vector<std::string> events;
  const std::uint64_t subscription =
      h.bus().subscribe([&](const host::TaskRunEvent& e) { events.push_back(e.name()); });
  auto scope = h.run_task("done");
  h.bus().unsubscribe(subscription);

  ASSERT_EQ(scope->runs().size(), 1u);
  const host::Run& run = *scope->runs()[0];
  const std::string message = "illegal transition from Running to Completed (an engine bug)";
  EXPECT_THAT(state_names(run), ElementsAre("Pending", "Running", "Crashed"));
  EXPECT_EQ(run.message(run.current()), message);
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->type, "rh::EngineError");
  EXPECT_EQ(run.error()->message, message);
  EXPECT_THAT(crashed_hooks, ElementsAre("Crashed: " + message)) << "the run ends as any crash does";
  EXPECT_THAT(events, ElementsAre("task-run.Pending", "task-run.Running", "task-run.Crashed"));
  EXPECT_TRUE(run.done());
}

TEST(IllegalTransitionDeathTest, DebugPolicyAbortsNamingBothStates) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EngineHarness h("sequential", json::object(), buggy_engine(host::IllegalTransitionPolicy::Abort));
        h.library().task("done", [] { return 1; });
        h.run_task("done");
      },
      "illegal transition from Running to Completed \\(an engine bug\\), in run 'done-[0-9a-f]+'");
}

}  // namespace
}  // namespace rh::testing
