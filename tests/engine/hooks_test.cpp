// State hooks on the sequential runner: which hooks fire for which state, how often, in
// which order, what they receive, and that a throwing hook changes nothing but a log line.
// (Hooks after timeouts and retry delays are in the conformance suite.)
#include "engine_harness.hpp"
#include "log_capture.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rh::json;
using rh::testing::EngineHarness;
using rh::testing::LogCapture;
using rh::testing::runs_of;
using rh::testing::state_names;
using Names = std::vector<std::string>;

// Every hook call as "<kind>:<state name>", plus the RunInfo it received.
class HookCalls {
 public:
  rh::Hook record(std::string kind) {
    return [this, kind](const rh::RunInfo& info) {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(kind + ":" + info.state.name);
      infos_.push_back(info);
    };
  }
  void attach_all(rh::TaskBuilder task) {
    task.on_running(record("running"))
        .on_completion(record("completion"))
        .on_failure(record("failure"))
        .on_crashed(record("crashed"));
  }
  Names calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  std::vector<rh::RunInfo> infos() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return infos_;
  }

 private:
  mutable std::mutex mutex_;
  Names calls_;
  std::vector<rh::RunInfo> infos_;
};

TEST(EngineHooks, OnRunningFiresOnRunningAndOnEachRetrying) {
  EngineHarness h("sequential");
  HookCalls hooks;
  auto task = h.library()
                  .task("flaky",
                        [](rh::TaskContext& ctx) -> json {
                          if (ctx.run_count() < 3) throw std::runtime_error("again");
                          return "ok";
                        })
                  .retries(2);
  hooks.attach_all(task);
  auto scope = h.run_task("flaky");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Retrying", "Completed"}));
  EXPECT_EQ(hooks.calls(), (Names{"running:Running", "running:Retrying", "running:Retrying", "completion:Completed"}));
  std::vector<std::uint32_t> counts;
  for (const auto& info : hooks.infos()) counts.push_back(info.run_count);
  EXPECT_EQ(counts, (std::vector<std::uint32_t>{1, 2, 3, 3}));
}

TEST(EngineHooks, OnFailureFiresOnceAfterRetriesAreExhausted) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library().task("always", []() -> json { throw std::runtime_error("always"); }).retries(2));
  auto scope = h.run_task("always");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Retrying", "Retrying", "Failed"}));
  EXPECT_EQ(hooks.calls(), (Names{"running:Running", "running:Retrying", "running:Retrying", "failure:Failed"}));
  EXPECT_EQ(hooks.infos().back().run_count, 3u);
}

TEST(EngineHooks, OnFailureFiresForAUserRaisedTimeout) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library().task("late", []() -> json { throw rh::TimeoutError("too slow"); }));
  auto scope = h.run_task("late");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "TimedOut"}));
  EXPECT_EQ(hooks.calls(), (Names{"running:Running", "failure:TimedOut"}));
  EXPECT_EQ(hooks.infos().back().state.type, rh::StateType::Failed);
}

TEST(EngineHooks, OnCrashedFiresOnCrashed) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library().task("crash", []() -> json { throw 42; }).retries(2));
  auto scope = h.run_task("crash");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Crashed"}));
  EXPECT_EQ(hooks.calls(), (Names{"running:Running", "crashed:Crashed"}));
  const rh::RunInfo crashed = hooks.infos().back();
  EXPECT_EQ(crashed.state.type, rh::StateType::Crashed);
  EXPECT_EQ(crashed.error_type, "int");
}

TEST(EngineHooks, OnCompletionFiresOnCompletedAndOnCached) {
  EngineHarness h("sequential");
  HookCalls hooks;
  int calls = 0;
  auto task = h.library()
                  .task("square",
                        [&](const json& p) {
                          ++calls;
                          return p.at("x").get<int>() * p.at("x").get<int>();
                        })
                  .cache_by_inputs();
  hooks.attach_all(task);
  h.library().flow("twice", [](rh::FlowContext& flow) -> json {
    const json first = flow.submit("square", {{"x", 4}}).result();
    const json second = flow.submit("square", {{"x", 4}}).result();
    return {first, second};
  });
  auto scope = h.run_flow("twice");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{16, 16}));
  const auto runs = runs_of(*scope, "square");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(state_names(*runs[0]), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(state_names(*runs[1]), (Names{"Pending", "Running", "Cached"}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(hooks.calls(), (Names{"running:Running", "completion:Completed", "running:Running", "completion:Cached"}));
  EXPECT_EQ(hooks.infos().back().result, 16);
}

TEST(EngineHooks, NoHooksForNotReady) {
  EngineHarness h("sequential");
  HookCalls hooks;
  h.library().task("boom", []() -> json { throw std::runtime_error("upstream broke"); });
  hooks.attach_all(h.library().task("downstream", [](const json& p) { return p; }));
  h.library().flow("chain", [](rh::FlowContext& flow) -> json {
    rh::Future down = flow.submit("downstream", {{"in", flow.submit("boom")}});
    down.wait();
    return down.state().name;
  });
  auto scope = h.run_flow("chain");
  EXPECT_EQ(scope->flow_run()->result(), "\"NotReady\"");
  EXPECT_TRUE(hooks.calls().empty());
}

// A cancelled attempt ran (on_running fired) but no final hook fires for Cancelled.
TEST(EngineHooks, NoFinalHooksForCancelled) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library().task("cancelled", []() -> json { throw rh::CancelledError("stop"); }));
  auto scope = h.run_task("cancelled");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Running", "Cancelled"}));
  EXPECT_EQ(hooks.calls(), (Names{"running:Running"}));
}

// A run refused by a zero tag limit never runs: no hook at all.
TEST(EngineHooks, NoHooksForARunCancelledByAZeroTagLimit) {
  rh::host::EngineOptions options;
  options.concurrency_limits = {{"frozen", 0}};
  EngineHarness h("sequential", json::object(), options);
  HookCalls hooks;
  hooks.attach_all(h.library().task("never", []() { return 1; }).tags({"frozen"}));
  auto scope = h.run_task("never");
  EXPECT_EQ(state_names(*scope->runs().at(0)), (Names{"Pending", "Cancelled"}));
  EXPECT_TRUE(hooks.calls().empty());
}

TEST(EngineHooks, HooksRunInRegistrationOrder) {
  EngineHarness h("sequential");
  Names order;
  auto note = [&](std::string name) { return [&order, name](const rh::RunInfo&) { order.push_back(name); }; };
  h.library()
      .task("ok", []() { return 1; })
      .on_completion(note("completion-1"))
      .on_running(note("running-1"))
      .on_completion(note("completion-2"))
      .on_running(note("running-2"))
      .on_completion(note("completion-3"));
  auto scope = h.run_task("ok");
  EXPECT_EQ(order, (Names{"running-1", "running-2", "completion-1", "completion-2", "completion-3"}));
}

TEST(EngineHooks, ThrowingHookIsLoggedTheOthersRunAndTheStateStays) {
  LogCapture logs;
  EngineHarness h("sequential");
  Names order;
  h.library()
      .task("ok", []() { return 5; })
      .on_running([](const rh::RunInfo&) { throw std::runtime_error("running hook broke"); }, "bad_running")
      .on_running([&](const rh::RunInfo&) { order.push_back("running-2"); })
      .on_completion([](const rh::RunInfo&) { throw std::logic_error("completion hook broke"); }, "bad_completion")
      .on_completion([&](const rh::RunInfo&) { order.push_back("completion-2"); });
  auto scope = h.run_task("ok");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(run.result(), "5");
  EXPECT_EQ(run.run_count(), 1u);
  EXPECT_EQ(order, (Names{"running-2", "completion-2"}));

  const auto running = logs.matching("on_running hook 'bad_running' raised std::runtime_error: running hook broke");
  ASSERT_EQ(running.size(), 1u) << logs.dump();
  EXPECT_EQ(running[0].level, spdlog::level::err);
  const auto completion =
      logs.matching("on_completion hook 'bad_completion' raised std::logic_error: completion hook broke");
  ASSERT_EQ(completion.size(), 1u) << logs.dump();
  EXPECT_EQ(completion[0].level, spdlog::level::err);
}

TEST(EngineHooks, ThrowingFailureHookLeavesTheRunFailed) {
  LogCapture logs;
  EngineHarness h("sequential");
  int second = 0;
  h.library()
      .task("boom", []() -> json { throw std::runtime_error("task broke"); })
      .on_failure([](const rh::RunInfo&) { throw 7; }, "bad_failure")
      .on_failure([&](const rh::RunInfo&) { ++second; });
  auto scope = h.run_task("boom");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Failed"}));
  ASSERT_NE(run.error(), nullptr);
  EXPECT_EQ(run.error()->message, "task broke");
  EXPECT_EQ(second, 1);
  EXPECT_EQ(logs.matching("on_failure hook 'bad_failure' raised int").size(), 1u) << logs.dump();
}

TEST(EngineHooks, CompletionHookReceivesTheRun) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library().task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); }));
  auto scope = h.run_task("add", {{"a", 2}, {"b", 3}});
  const auto& run = *scope->runs().at(0);
  const auto infos = hooks.infos();
  ASSERT_EQ(infos.size(), 2u);
  const rh::RunInfo& done = infos[1];
  EXPECT_EQ(done.task_name, "add");
  EXPECT_EQ(done.run_id, run.id());
  EXPECT_EQ(done.run_name, run.name());
  EXPECT_EQ(done.state.name, "Completed");
  EXPECT_EQ(done.state.type, rh::StateType::Completed);
  EXPECT_TRUE(done.state.final);
  EXPECT_EQ(done.run_count, 1u);
  EXPECT_EQ(done.params, (json{{"a", 2}, {"b", 3}}));
  EXPECT_EQ(done.result, 5);
  EXPECT_TRUE(done.error_type.empty());
  // on_running saw the same run while it was Running, with no result yet.
  const rh::RunInfo& running = infos[0];
  EXPECT_EQ(running.run_id, run.id());
  EXPECT_EQ(running.state.name, "Running");
  EXPECT_EQ(running.state.type, rh::StateType::Running);
  EXPECT_FALSE(running.state.final);
  EXPECT_TRUE(running.result.is_null());
}

TEST(EngineHooks, FailureHookReceivesTheError) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library().task("boom", []() -> json { throw std::domain_error("bad domain"); }));
  auto scope = h.run_task("boom", {{"x", 1}});
  const auto& run = *scope->runs().at(0);
  const rh::RunInfo failed = hooks.infos().back();
  EXPECT_EQ(failed.run_id, run.id());
  EXPECT_EQ(failed.state.name, "Failed");
  EXPECT_EQ(failed.state.type, rh::StateType::Failed);
  EXPECT_EQ(failed.state.message, "Task run encountered an exception std::domain_error: bad domain");
  EXPECT_EQ(failed.params, (json{{"x", 1}}));
  EXPECT_EQ(failed.error_type, "std::domain_error");
  EXPECT_EQ(failed.error_message, "bad domain");
  EXPECT_TRUE(failed.result.is_null());
}

// "result or error": a run that failed once and then completed hands its completion hook
// the result, not the error of the earlier attempt.
TEST(EngineHooks, CompletionAfterARetryCarriesNoStaleError) {
  EngineHarness h("sequential");
  HookCalls hooks;
  hooks.attach_all(h.library()
                       .task("flaky",
                             [](rh::TaskContext& ctx) -> json {
                               if (ctx.run_count() == 1) throw std::runtime_error("first attempt");
                               return "ok";
                             })
                       .retries(1));
  auto scope = h.run_task("flaky");
  const auto& run = *scope->runs().at(0);
  ASSERT_EQ(state_names(run), (Names{"Pending", "Running", "Retrying", "Completed"}));
  const rh::RunInfo done = hooks.infos().back();
  EXPECT_EQ(done.state.name, "Completed");
  EXPECT_EQ(done.result, "ok");
  EXPECT_TRUE(done.error_type.empty()) << done.error_type << ": " << done.error_message;
  EXPECT_TRUE(done.error_message.empty()) << done.error_message;
}

}  // namespace
