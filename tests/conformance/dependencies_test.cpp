// Conformance: dependencies on every runner. wait_for orders runs, futures nested anywhere
// in params are resolved and recorded as upstreams, an upstream that did not complete makes
// the run NotReady (naming it; the function never runs; it cascades), allow_failure lets a
// failed upstream through, and a run waiting on itself is refused.
#include "runner_params.hpp"

#include "events/task_run_waiter.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

std::set<std::uint64_t> upstream_ids(const host::Run& run) {
  std::set<std::uint64_t> ids;
  for (const host::Upstream& upstream : run.upstreams()) ids.insert(upstream.run->id());
  return ids;
}

std::string not_ready_message(const host::Run& upstream) {
  return "Upstream task run '" + upstream.name() + "' (id " + std::to_string(upstream.id()) +
         ") did not reach a 'COMPLETED' state.";
}

TEST_P(RunnerConformance, WaitForStartsTheRunAfterItsUpstreamsEnd) {
  auto h = harness();
  h->library().task("slow", [](rh::TaskContext& ctx, const json& p) {
    ctx.sleep(20ms);
    return p.at("v");
  });
  h->library().task("after", []() { return "after"; });
  h->library().flow("ordered", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("slow", {{"v", 1}});
    rh::Future b = flow.submit("slow", {{"v", 2}});
    return flow.submit("after", json::object(), rh::wait_for({a, b})).result();
  });
  auto scope = h->run_flow("ordered");
  EXPECT_EQ(scope->flow_run()->result(), "\"after\"");
  const auto slows = runs_of(*scope, "slow");
  ASSERT_EQ(slows.size(), 2u);
  const auto& after = *runs_of(*scope, "after").at(0);
  EXPECT_EQ(state_names(after), (Names{"Pending", "Running", "Completed"}));
  for (const auto& slow : slows) EXPECT_GE(after.start_time_us(), slow->end_time_us()) << slow->name();
  EXPECT_EQ(upstream_ids(after), (std::set<std::uint64_t>{slows[0]->id(), slows[1]->id()}));
  EXPECT_TRUE(after.params().empty()) << "wait_for adds nothing to the parameters: " << after.params();
}

TEST_P(RunnerConformance, FuturesNestedInParamsAreResolvedAndRecordedAsInputs) {
  auto h = harness();
  h->library().task("value", [](rh::TaskContext& ctx, const json& p) {
    ctx.sleep(5ms);
    return p.at("v");
  });
  h->library().task("consume", [](const json& p) { return p; });
  h->library().flow("nested", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("value", {{"v", 1}});
    rh::Future b = flow.submit("value", {{"v", "two"}});
    const json params = {
        {"list", json::array({a, json{{"inner", b}}})}, {"obj", {{"deep", json::array({a})}}}, {"plain", 3}};
    return flow.submit("consume", params).result();
  });
  auto scope = h->run_flow("nested");
  const json expected = {{"list", {1, {{"inner", "two"}}}}, {"obj", {{"deep", {1}}}}, {"plain", 3}};
  EXPECT_EQ(json::parse(scope->flow_run()->result()), expected);
  const auto values = runs_of(*scope, "value");
  ASSERT_EQ(values.size(), 2u);
  const auto& consume = *runs_of(*scope, "consume").at(0);
  EXPECT_EQ(json::parse(consume.params()), expected);
  EXPECT_EQ(upstream_ids(consume), (std::set<std::uint64_t>{values[0]->id(), values[1]->id()}));
  for (const auto& value : values) EXPECT_GE(consume.start_time_us(), value->end_time_us());
}

TEST_P(RunnerConformance, NotReadyNamesTheUpstreamTheFunctionNeverRunsAndItCascades) {
  std::atomic<int> calls{0};
  auto h = harness();
  h->library().task("boom", []() -> json { throw std::runtime_error("upstream broke"); });
  h->library().task("next", [&](const json& p) {
    ++calls;
    return p;
  });
  h->library().flow("chain", [](rh::FlowContext& flow) -> json {
    rh::Future a = flow.submit("boom");
    rh::Future b = flow.submit("next", {{"in", a}});
    rh::Future c = flow.submit("next", json::object(), rh::wait_for({b}));
    rh::Future d = flow.submit("next", {{"deep", {{"list", json::array({c})}}}});
    rh::wait({a, b, c, d});
    return {b.state().name, c.state().name, d.state().name};
  });
  auto scope = h->run_flow("chain");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"NotReady", "NotReady", "NotReady"}));
  EXPECT_EQ(calls.load(), 0);
  const auto& boom = *runs_of(*scope, "boom").at(0);
  const auto nexts = runs_of(*scope, "next");
  ASSERT_EQ(nexts.size(), 3u);
  for (const auto& run : nexts) {
    EXPECT_EQ(state_names(*run), (Names{"Pending", "NotReady"}));
    EXPECT_FALSE(run->started()) << run->name() << " run_count=" << run->run_count() << " params=" << run->params();
  }
  EXPECT_EQ(nexts[0]->message(nexts[0]->current()), not_ready_message(boom));
  EXPECT_EQ(nexts[1]->message(nexts[1]->current()), not_ready_message(*nexts[0]));
  EXPECT_EQ(nexts[2]->message(nexts[2]->current()), not_ready_message(*nexts[1]));
}

// Every final state that is not COMPLETED-type blocks the downstream.
TEST_P(RunnerConformance, CrashedTimedOutAndCancelledUpstreamsMakeNotReady) {
  std::atomic<int> calls{0};
  auto h = harness();
  h->library().task("crash", []() -> json { throw 42; });
  h->library().task("late", []() -> json { throw rh::TimeoutError("late"); });
  h->library().task("cancel", []() -> json { throw rh::CancelledError("cancelled"); });
  h->library().task("next", [&](const json& p) {
    ++calls;
    return p;
  });
  h->library().flow("fan", [](rh::FlowContext& flow) -> json {
    json states = json::array();
    for (const char* upstream : {"crash", "late", "cancel"}) {
      rh::Future up = flow.submit(upstream);
      rh::Future down = flow.submit("next", {{"in", up}});
      down.wait();
      states.push_back(up.state().name + "->" + down.state().name);
    }
    return states;
  });
  auto scope = h->run_flow("fan");
  EXPECT_EQ(json::parse(scope->flow_run()->result()),
            (json{"Crashed->NotReady", "TimedOut->NotReady", "Cancelled->NotReady"}));
  EXPECT_EQ(calls.load(), 0);
}

TEST_P(RunnerConformance, AllowFailureParamSeesTheUpstreamError) {
  auto h = harness();
  h->library().task("boom", []() -> json { throw std::runtime_error("upstream broke"); });
  h->library().task("good", []() { return 7; });
  h->library().task("consume", [](const json& p) { return p; });
  h->library().flow("tolerant", [](rh::FlowContext& flow) -> json {
    rh::Future bad = flow.submit("boom");
    rh::Future good = flow.submit("good");
    return flow.submit("consume", {{"bad", rh::allow_failure(bad)}, {"good", rh::allow_failure(good)}}).result();
  });
  auto scope = h->run_flow("tolerant");
  EXPECT_EQ(
      json::parse(scope->flow_run()->result()),
      (json{{"bad", {{"error", {{"type", "std::runtime_error"}, {"message", "upstream broke"}, {"state", "Failed"}}}}},
            {"good", 7}}));
  EXPECT_EQ(state_names(*runs_of(*scope, "consume").at(0)), (Names{"Pending", "Running", "Completed"}));
}

// allow_failure also lets a NotReady upstream through (as Prefect does).
TEST_P(RunnerConformance, AllowFailureParamLetsANotReadyUpstreamThrough) {
  auto h = harness();
  h->library().task("boom", []() -> json { throw std::runtime_error("upstream broke"); });
  h->library().task("consume", [](const json& p) { return p; });
  h->library().flow("tolerant", [](rh::FlowContext& flow) -> json {
    rh::Future bad = flow.submit("boom");
    rh::Future blocked = flow.submit("consume", {{"in", bad}});
    return flow.submit("consume", {{"in", rh::allow_failure(blocked)}}).result();
  });
  auto scope = h->run_flow("tolerant");
  const json result = json::parse(scope->flow_run()->result());
  const auto consumes = runs_of(*scope, "consume");
  ASSERT_EQ(consumes.size(), 2u);
  EXPECT_EQ(state_names(*consumes[0]), (Names{"Pending", "NotReady"}));
  EXPECT_EQ(state_names(*consumes[1]), (Names{"Pending", "Running", "Completed"}));
  ASSERT_TRUE(result.contains("in")) << result;
  const json& error = result.at("in").at("error");
  EXPECT_EQ(error.at("state"), "NotReady");
  EXPECT_TRUE(error.contains("type")) << error;
  EXPECT_EQ(error.at("message"), not_ready_message(*runs_of(*scope, "boom").at(0)));
}

TEST_P(RunnerConformance, AllowFailureInWaitForLetsTheRunStart) {
  auto h = harness();
  h->library().task("boom", [](rh::TaskContext& ctx) -> json {
    ctx.sleep(10ms);
    throw std::runtime_error("upstream broke");
  });
  h->library().task("after", []() { return "ran"; });
  h->library().flow("tolerant", [](rh::FlowContext& flow) -> json {
    rh::Future bad = flow.submit("boom");
    rh::Future tolerant = flow.submit("after", json::object(), rh::wait_for({rh::allow_failure(bad)}));
    rh::Future strict = flow.submit("after", json::object(), rh::wait_for({bad}));
    rh::wait({tolerant, strict});
    return {tolerant.state().name, strict.state().name};
  });
  auto scope = h->run_flow("tolerant");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"Completed", "NotReady"}));
  const auto& boom = *runs_of(*scope, "boom").at(0);
  const auto afters = runs_of(*scope, "after");
  ASSERT_EQ(afters.size(), 2u);
  EXPECT_EQ(state_names(*afters[0]), (Names{"Pending", "Running", "Completed"}));
  EXPECT_GE(afters[0]->start_time_us(), boom.end_time_us()) << "allow_failure still waits for the upstream";
  EXPECT_EQ(afters[0]->result(), "\"ran\"");
}

TEST_P(RunnerConformance, RunWaitingOnItselfIsRefusedAsADeadlock) {
  auto h = harness(4);
  h->library().task("selfish", [](rh::TaskContext& ctx) -> json {
    try {
      rh::TaskRunWaiter::instance().wait_for_task_run(ctx.run_id());
    } catch (const rh::UsageError& e) {
      return e.what();
    }
    return "no error";
  });
  auto scope = h->run_task("selfish");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Completed"}));
  const std::string message = json::parse(run.result()).get<std::string>();
  EXPECT_NE(message.find("deadlock"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(run.id())), std::string::npos) << message;
}

}  // namespace
}  // namespace rh::testing
