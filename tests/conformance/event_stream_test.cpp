// Conformance: the event stream of one flow with a plain task and two retried ones, seen by
// a subscriber on the bus, on every runner. Every transition of every run is published
// exactly once, in the order of the run's state history, with its details: id, time,
// name, the run (id, name, task, run_count), the state (type, name, message), the previous
// state, the flow run, and AwaitingRetry's scheduled time.
#include "waiting_support.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using host::StateId;

// An owned copy of one event (the bus hands out views).
struct Recorded {
  std::uint64_t id;
  std::int64_t time_us;
  bool is_flow_run;
  std::string name;
  std::uint64_t run_id;
  std::string run_name;
  std::string task_name;
  std::uint32_t run_count;
  std::uint64_t flow_run_id;
  StateId state;
  std::string message;
  std::int64_t scheduled_us;
  std::optional<StateId> previous;
  std::string previous_message;
};

class Recorder {
 public:
  explicit Recorder(host::EventBus& bus) : bus_(bus) {
    subscription_ = bus_.subscribe([this](const host::TaskRunEvent& e) {
      Recorded r{e.id,
                 e.time_us,
                 e.is_flow_run,
                 e.name(),
                 e.run_id,
                 std::string(e.run_name),
                 std::string(e.task_name),
                 e.run_count,
                 e.flow_run_id,
                 e.state,
                 std::string(e.message),
                 e.scheduled_us,
                 e.previous,
                 std::string(e.previous_message)};
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(r));
    });
  }
  ~Recorder() { bus_.unsubscribe(subscription_); }
  std::vector<Recorded> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  host::EventBus& bus_;
  std::uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::vector<Recorded> events_;
};

TEST_P(RunnerConformance, EveryTransitionIsPublishedOnceWithItsDetails) {
  auto h = harness(4);
  host::EventBus& bus = h->bus();
  Recorder recorder(bus);
  h->library().task("add", [](const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); });
  h->library()
      .task("flaky_now",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("first attempt fails");
              return "now";
            })
      .retries(1);
  h->library()
      .task("flaky_later",
            [](rh::TaskContext& ctx) -> json {
              if (ctx.run_count() == 1) throw std::runtime_error("first attempt fails");
              return "later";
            })
      .retries(1)
      .retry_delay(0.01);
  h->library().flow("pipeline", [](rh::FlowContext& flow) -> json {
    rh::Future sum = flow.submit("add", {{"a", 1}, {"b", 2}});
    rh::Future now = flow.submit("flaky_now");
    rh::Future later = flow.submit("flaky_later");
    return rh::gather({sum, now, later});
  });
  auto scope = h->run_flow("pipeline");
  h->stop();
  ASSERT_EQ(json::parse(scope->flow_run()->result()), (json{3, "now", "later"}));

  std::map<std::uint64_t, const host::Run*> runs;
  runs[scope->flow_run()->id()] = scope->flow_run().get();
  for (const auto& run : scope->runs()) runs[run->id()] = run.get();
  ASSERT_EQ(runs.size(), 4u);
  const std::uint64_t flow_id = scope->flow_run()->id();

  const std::vector<Recorded> events = recorder.events();
  std::size_t transitions = 0;
  for (const auto& [id, run] : runs) transitions += run->history().size();
  EXPECT_EQ(events.size(), transitions) << "one event per transition, no more, no less";

  std::set<std::uint64_t> event_ids;
  std::map<std::uint64_t, std::vector<const Recorded*>> by_run;
  for (const Recorded& e : events) {
    event_ids.insert(e.id);
    by_run[e.run_id].push_back(&e);
  }
  EXPECT_EQ(event_ids.size(), events.size()) << "event ids are unique";
  ASSERT_EQ(by_run.size(), runs.size());

  for (const auto& [run_id, run_events] : by_run) {
    ASSERT_EQ(runs.count(run_id), 1u) << "event for unknown run " << run_id;
    const host::Run& run = *runs.at(run_id);
    const auto& history = run.history();
    SCOPED_TRACE(run.task().name);
    ASSERT_EQ(run_events.size(), history.size());
    // Publication order within a run (the recorder's order) is the history's order.
    for (std::size_t i = 0; i < history.size(); ++i) {
      const Recorded& e = *run_events[i];
      SCOPED_TRACE("event " + std::to_string(i) + " " + e.name);
      EXPECT_EQ(e.state, history[i].id);
      EXPECT_EQ(e.time_us, history[i].time_us);
      EXPECT_EQ(e.is_flow_run, run.is_flow());
      EXPECT_EQ(e.name,
                std::string(run.is_flow() ? "flow-run." : "task-run.") + std::string(host::state_name(history[i].id)));
      EXPECT_EQ(e.run_name, run.name());
      EXPECT_EQ(e.task_name, run.task().name);
      EXPECT_EQ(e.flow_run_id, run.is_flow() ? run.flow_run_id() : flow_id);
      EXPECT_EQ(e.message, run.message(history[i]));
      if (history[i].id == StateId::AwaitingRetry) {
        const host::StateDetail* detail = run.detail(history[i]);
        ASSERT_NE(detail, nullptr);
        EXPECT_EQ(e.scheduled_us, detail->scheduled_us);
        EXPECT_GE(e.scheduled_us, e.time_us);
        EXPECT_EQ(host::state_info(e.state).type_name, "SCHEDULED");
        EXPECT_EQ(e.run_count, 1u);
      } else {
        EXPECT_EQ(e.scheduled_us, 0);
      }
      if (i == 0) {
        EXPECT_FALSE(e.previous.has_value());
        EXPECT_EQ(e.run_count, 0u);
      } else {
        ASSERT_TRUE(e.previous.has_value());
        EXPECT_EQ(*e.previous, history[i - 1].id);
        EXPECT_EQ(e.previous_message, run.message(history[i - 1]));
        EXPECT_GT(e.id, run_events[i - 1]->id) << "ids increase along a run";
        EXPECT_GT(e.time_us, run_events[i - 1]->time_us) << "times strictly increase along a run";
        EXPECT_GE(e.run_count, run_events[i - 1]->run_count);
      }
      if (e.state == StateId::Running) {
        EXPECT_EQ(e.run_count, 1u);
      }
      if (e.state == StateId::Retrying) {
        EXPECT_EQ(e.run_count, 2u);
      }
    }
    EXPECT_EQ(run_events.back()->run_count, run.run_count());
  }

  // The retried runs took the paths this test is about.
  auto names_of = [&](const std::string& task) {
    for (const auto& [id, run] : runs) {
      if (run->task().name == task) return state_names(*run);
    }
    return std::vector<std::string>{};
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names_of("flaky_now"), (Names{"Pending", "Running", "Retrying", "Completed"}));
  EXPECT_EQ(names_of("flaky_later"), (Names{"Pending", "Running", "AwaitingRetry", "Retrying", "Completed"}));
  EXPECT_EQ(names_of("pipeline"), (Names{"Pending", "Running", "Completed"}));
}

// Several subscribers each see the whole stream; one that throws changes nothing for the
// engine or the others.
TEST_P(RunnerConformance, EverySubscriberSeesTheWholeStream) {
  auto h = harness(4);
  host::EventBus& bus = h->bus();
  Recorder first(bus);
  const std::uint64_t throwing = bus.subscribe([](const host::TaskRunEvent&) { throw std::runtime_error("nope"); });
  Recorder second(bus);
  h->library().task("value", [](const json& p) { return p.at("v"); });
  h->library().flow("values", [](rh::FlowContext& flow) -> json {
    std::vector<rh::Future> futures;
    for (int i = 0; i < 20; ++i) futures.push_back(flow.submit("value", {{"v", i}}));
    return rh::gather(futures).size();
  });
  auto scope = h->run_flow("values");
  h->stop();
  bus.unsubscribe(throwing);
  EXPECT_EQ(scope->flow_run()->result(), "20");
  const auto a = first.events();
  const auto b = second.events();
  EXPECT_EQ(a.size(), 21u * 3u) << "Pending, Running, Completed for the flow and 20 tasks";
  ASSERT_EQ(a.size(), b.size());
  std::set<std::uint64_t> ids_a;
  std::set<std::uint64_t> ids_b;
  for (const Recorded& e : a) ids_a.insert(e.id);
  for (const Recorded& e : b) ids_b.insert(e.id);
  EXPECT_EQ(ids_a, ids_b);
}

}  // namespace
}  // namespace rh::testing
