// Conformance: what a timeout covers — the attempt only. Waiting for upstreams, waiting
// for a tag slot and running hooks do not count against it, on every runner. Each wait
// below lasts longer than the timeout, so counting it would end the run TimedOut.
#include "runner_params.hpp"

#include <chrono>
#include <thread>

namespace rh::testing {
namespace {

using json = nlohmann::json;
using Names = std::vector<std::string>;
using namespace std::chrono_literals;

TEST_P(RunnerConformance, TimeoutDoesNotCountWaitingForUpstreams) {
  auto h = harness();
  h->library().task("slow", [](rh::TaskContext& ctx) { ctx.sleep(300ms); });
  h->library().task("quick", []() { return "quick"; }).timeout(0.1);
  h->library().flow("chain", [](rh::FlowContext& flow) -> json {
    rh::Future slow = flow.submit("slow");
    return flow.submit("quick", json::object(), rh::wait_for({slow})).result();
  });
  auto scope = h->run_flow("chain");
  EXPECT_EQ(scope->flow_run()->result(), "\"quick\"");
  EXPECT_EQ(state_names(*runs_of(*scope, "quick").at(0)), (Names{"Pending", "Running", "Completed"}));
}

TEST_P(RunnerConformance, TimeoutDoesNotCountWaitingForATagSlot) {
  host::EngineOptions options;
  options.concurrency_limits = {{"db", 1}};
  auto h = harness(4, options);
  h->library().task("holder", [](rh::TaskContext& ctx) { ctx.sleep(300ms); }).tags({"db"});
  h->library().task("quick", []() { return "quick"; }).tags({"db"}).timeout(0.1);
  h->library().flow("queue", [](rh::FlowContext& flow) -> json {
    rh::Future holder = flow.submit("holder");
    rh::Future quick = flow.submit("quick");
    return rh::gather({holder, quick});
  });
  auto scope = h->run_flow("queue");
  EXPECT_EQ(json::parse(scope->flow_run()->result()), (json{nullptr, "quick"}));
  EXPECT_EQ(state_names(*runs_of(*scope, "quick").at(0)), (Names{"Pending", "Running", "Completed"}));
}

TEST_P(RunnerConformance, TimeoutDoesNotCountHooks) {
  auto h = harness();
  auto slow_hook = [](const rh::RunInfo&) { std::this_thread::sleep_for(300ms); };
  h->library().task("quick", []() { return "quick"; }).timeout(0.1).on_running(slow_hook).on_completion(slow_hook);
  auto scope = h->run_task("quick");
  const auto& run = *scope->runs().at(0);
  EXPECT_EQ(state_names(run), (Names{"Pending", "Running", "Completed"}));
  EXPECT_EQ(run.result(), "\"quick\"");
}

}  // namespace
}  // namespace rh::testing
