// Conformance: the SDK's futures utilities inside flows on every runner. rh::wait splits
// futures into done / not done, rh::as_completed hands them back finished-first and then in
// completion order (and throws "N (of M) futures unfinished" at its timeout), rh::gather
// returns results in input order and fails fast, Future::add_done_callback runs once.
// Unfinished runs are "parked" (waiting an hour for a retry) and cancelled by an interrupt
// once the flow has looked; completion order is steered with rh::Event, never with sleeps.
#include "waiting_support.hpp"

#include "log_capture.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;
using Timeout = std::chrono::milliseconds;

std::vector<std::uint64_t> ids_of(const std::vector<rh::Future>& futures) {
  std::vector<std::uint64_t> ids;
  for (const rh::Future& f : futures) ids.push_back(f.run_id());
  return ids;
}

std::vector<std::uint64_t> sorted(std::vector<std::uint64_t> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

void add_value_task(rh::Library& library) {
  library.task("value", [](const json& p) { return p.at("v"); });
}

// 3 finished + 1 unfinished, with duplicates: 3 done (each once), 1 not done; never throws.
TEST_P(RunnerConformance, WaitSplitsDoneAndNotDone) {
  auto h = harness();
  add_value_task(h->library());
  add_parked_task(h->library());
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  json seen;
  h->library().flow("split", [&](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> fast;
    for (int i = 0; i < 3; ++i) fast.push_back(flow.submit("value", {{"v", i}}));
    rh::Future slow = flow.submit("parked");
    parked_ids.push_back(slow.run_id());
    const rh::DoneAndNotDone all_fast = rh::wait(fast);  // no timeout: waits for each
    const std::vector<rh::Future> with_duplicates = {fast[0], fast[1], fast[1], fast[2], slow, slow, fast[0]};
    const rh::DoneAndNotDone timed = rh::wait(with_duplicates, Timeout(50ms));
    const rh::DoneAndNotDone zero = rh::wait(with_duplicates, Timeout(0ms));
    seen = {{"fast_done", sorted(ids_of(all_fast.done))}, {"fast_not_done", all_fast.not_done.size()},
            {"done", sorted(ids_of(timed.done))},         {"not_done", ids_of(timed.not_done)},
            {"zero_done", sorted(ids_of(zero.done))},     {"zero_not_done", ids_of(zero.not_done)},
            {"expected_done", sorted(ids_of(fast))},      {"slow", slow.run_id()}};
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "split", observed, parked_ids);
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["fast_done"], seen["expected_done"]);
  EXPECT_EQ(seen["fast_not_done"], 0);
  EXPECT_EQ(seen["done"], seen["expected_done"]) << "3 done, duplicates counted once";
  EXPECT_EQ(seen["not_done"], json::array({seen["slow"]}));
  EXPECT_EQ(seen["zero_done"], seen["expected_done"]);
  EXPECT_EQ(seen["zero_not_done"], json::array({seen["slow"]}));
}

TEST_P(RunnerConformance, NegativeTimeoutIsAnError) {
  auto h = harness();
  add_value_task(h->library());
  h->library().flow("negative", [](rh::FlowContext& flow) -> json {
    const std::vector<rh::Future> futures = {flow.submit("value", {{"v", 1}})};
    json out = json::array();
    try {
      rh::wait(futures, -1s);
      out.push_back("wait: no error");
    } catch (const std::invalid_argument& e) {
      out.push_back(e.what());
    }
    try {
      rh::as_completed(futures, -1s);
      out.push_back("as_completed: no error");
    } catch (const std::invalid_argument& e) {
      out.push_back(e.what());
    }
    return out;
  });
  auto scope = h->run_flow("negative");
  const json result = json::parse(scope->flow_run()->result());
  ASSERT_EQ(result.size(), 2u);
  for (const json& message : result) {
    EXPECT_EQ(message.get<std::string>().rfind("'timeout' must be a non-negative number, got -1", 0), 0u) << message;
  }
}

// Already finished first, then in the order the runs finish. The order is forced: each
// gated run can only finish after the loop body saw the one before it.
TEST_P(RunnerConformance, AsCompletedYieldsFinishedFirstThenInCompletionOrder) {
  if (!GetParam().parallel) GTEST_SKIP() << "gated runs would run inline and wait forever on a sequential runner";
  auto h = harness();
  add_value_task(h->library());
  std::array<rh::Event, 3> gates;
  h->library().task("gated", [&](const json& p) -> json {
    const int i = p.at("i").get<int>();
    return gates[i].wait(kHangGuard) ? json(i) : json("gate never opened");
  });
  h->library().flow("ordered", [&](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 3; ++i) futures.push_back(flow.submit("gated", {{"i", i}}));
    futures.push_back(flow.submit("value", {{"v", 3}}));
    futures[3].wait();
    futures.push_back(futures[1]);  // a duplicate: yielded once
    json order = json::array();
    for (rh::Future f : rh::as_completed(futures)) {
      const json value = f.result();
      order.push_back(value);
      if (value == 3) gates[2].set();
      if (value == 2) gates[0].set();
      if (value == 0) gates[1].set();
    }
    return order;
  });
  auto scope = h->run_flow("ordered");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{3, 2, 0, 1}));
}

// Every runner: finished futures come back once each (duplicates once), via range-for.
TEST_P(RunnerConformance, AsCompletedYieldsEachFinishedFutureOnce) {
  auto h = harness();
  add_value_task(h->library());
  h->library().flow("finished", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 5; ++i) futures.push_back(flow.submit("value", {{"v", i}}));
    futures.push_back(futures[0]);
    futures.push_back(futures[4]);
    std::vector<int> values;
    for (rh::Future f : rh::as_completed(futures)) values.push_back(f.result().get<int>());
    std::vector<int> zero_timeout;
    rh::wait(futures);
    for (rh::Future f : rh::as_completed(futures, Timeout(0ms))) zero_timeout.push_back(f.result().get<int>());
    std::sort(values.begin(), values.end());
    std::sort(zero_timeout.begin(), zero_timeout.end());
    return {values, zero_timeout};
  });
  auto scope = h->run_flow("finished");
  const json expected = {0, 1, 2, 3, 4};
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{expected, expected}));
}

TEST_P(RunnerConformance, AsCompletedTimeoutThrowsWithTheUnfinishedCount) {
  auto h = harness();
  add_value_task(h->library());
  add_parked_task(h->library());
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  json seen;
  h->library().flow("too_slow", [&](rh::FlowContext& flow) -> json {
    rh::Future d1 = flow.submit("value", {{"v", 1}});
    rh::Future s1 = flow.submit("parked");
    rh::Future d2 = flow.submit("value", {{"v", 2}});
    rh::Future s2 = flow.submit("parked");
    parked_ids = {s1.run_id(), s2.run_id()};
    rh::wait({d1, d2});
    const std::vector<rh::Future> futures = {d1, s1, d2, s2, s1};
    auto attempt = [&](Timeout timeout) -> json {
      std::vector<std::uint64_t> yielded;
      try {
        for (rh::Future f : rh::as_completed(futures, timeout)) yielded.push_back(f.run_id());
        return {sorted(yielded), "no timeout"};
      } catch (const rh::TimeoutError& e) {
        return {sorted(yielded), e.what()};
      }
    };
    seen = {{"timed", attempt(Timeout(50ms))},
            {"zero", attempt(Timeout(0ms))},
            {"done", sorted({d1.run_id(), d2.run_id()})}};
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "too_slow", observed, parked_ids);
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["timed"], (json{seen["done"], "2 (of 4) futures unfinished"}));
  EXPECT_EQ(seen["zero"], (json{seen["done"], "2 (of 4) futures unfinished"}));
}

// Results in input order, a duplicate gets the same result at each position. The first
// listed run can only finish after the second did (its gate opens in the second's done
// callback), so input order differs from completion order on every runner.
TEST_P(RunnerConformance, GatherOrdersResultsByInputNotByCompletion) {
  auto h = harness();
  add_value_task(h->library());
  rh::Event gate;
  h->library().task("gated", [&]() -> json { return gate.wait(kHangGuard) ? "gated" : "gate never opened"; });
  h->library().flow("gathering", [&](rh::FlowContext& flow) -> json {
    rh::Future second = flow.submit("value", {{"v", "second"}});
    second.add_done_callback([&](const rh::Future&) { gate.set(); });
    rh::Future first = flow.submit("gated");
    return rh::gather({first, second, first, second, second});
  });
  auto scope = h->run_flow("gathering");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{"gated", "second", "gated", "second", "second"}));
  const auto& gated = *runs_of(*scope, "gated").at(0);
  const auto& value = *runs_of(*scope, "value").at(0);
  EXPECT_LT(value.end_time_us(), gated.end_time_us());
}

// The first failure to complete is thrown while an earlier-listed run is still unfinished.
TEST_P(RunnerConformance, GatherThrowsTheFirstFailureWhileAnEarlierRunIsParked) {
  auto h = harness();
  add_parked_task(h->library());
  h->library().task("boom", []() -> json { throw std::runtime_error("boom first"); });
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  json seen;
  h->library().flow("fail_fast", [&](rh::FlowContext& flow) -> json {
    rh::Future slow = flow.submit("parked");
    parked_ids.push_back(slow.run_id());
    rh::Future boom = flow.submit("boom");
    try {
      rh::gather({slow, boom});
      seen = "no error";
    } catch (const rh::TaskRunError& e) {
      seen = {e.state().name, e.error_type(), e.error_message(), slow.done()};
    }
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "fail_fast", observed, parked_ids);
  EXPECT_EQ(seen, (json{"Failed", "std::runtime_error", "boom first", false}));
}

TEST_P(RunnerConformance, FutureDoneCallbackRunsOnceAtOnceIfDone) {
  auto h = harness();
  add_value_task(h->library());
  add_parked_task(h->library());
  FlowSignal observed;
  std::vector<std::uint64_t> parked_ids;
  std::atomic<int> parked_calls{0};
  std::atomic<std::uint64_t> parked_seen{0};
  json seen;
  h->library().flow("future_callbacks", [&](rh::FlowContext& flow) -> json {
    rh::Future done = flow.submit("value", {{"v", 1}});
    done.wait();
    int at_once = 0;
    bool same_future = false;
    std::thread::id caller;
    done.add_done_callback([&](const rh::Future& f) {
      ++at_once;
      same_future = f == done;
      caller = std::this_thread::get_id();
    });
    rh::Future slow = flow.submit("parked");
    parked_ids.push_back(slow.run_id());
    slow.add_done_callback([&](const rh::Future& f) {
      parked_seen = f.run_id();
      ++parked_calls;
    });
    seen = {{"at_once", at_once},
            {"same_future", same_future},
            {"same_thread", caller == std::this_thread::get_id()},
            {"parked_calls", parked_calls.load()}};
    observed.set();
    return nullptr;
  });
  auto scope = run_flow_then_interrupt(*h, "future_callbacks", observed, parked_ids);
  EXPECT_EQ(seen, (json{{"at_once", 1}, {"same_future", true}, {"same_thread", true}, {"parked_calls", 0}}));
  EXPECT_EQ(parked_calls.load(), 1) << "called once, when the parked run was cancelled";
  ASSERT_EQ(parked_ids.size(), 1u);
  EXPECT_EQ(parked_seen.load(), parked_ids[0]);
}

// A throwing callback is logged; the other callbacks and every way of waiting still work.
TEST_P(RunnerConformance, ThrowingFutureDoneCallbackIsLoggedAndWaitingGoesOn) {
  LogCapture log;  // before the runner starts: its threads log into it
  auto h = harness();
  const bool parallel = GetParam().parallel;
  rh::Event gate;
  rh::Event after_throw;
  h->library().task("gated", [&]() -> json { return gate.wait(kHangGuard) ? "gated" : "gate never opened"; });
  h->library().flow("throwing", [&](rh::FlowContext& flow) -> json {
    if (!parallel) gate.set();  // inline on a sequential runner: it must not wait
    rh::Future f = flow.submit("gated");
    f.add_done_callback([](const rh::Future&) { throw std::runtime_error("callback boom"); });
    f.add_done_callback([&](const rh::Future&) { after_throw.set(); });
    gate.set();
    const bool waited = f.wait(kHangGuard);
    const rh::DoneAndNotDone split = rh::wait({f});
    std::size_t yielded = 0;
    for (rh::Future g : rh::as_completed({f})) yielded += g == f ? 1 : 0;
    return {waited, split.done.size(), yielded, rh::gather({f}), after_throw.wait(kHangGuard)};
  });
  auto scope = h->run_flow("throwing");
  h->stop();
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{true, 1, 1, json::array({"gated"}), true}));
  EXPECT_TRUE(log.contains("callback boom")) << log.text();
}

}  // namespace
}  // namespace rh::testing
