// The fiber runner shuts down cleanly right after runs whose timed-out attempts were
// abandoned and retried from the engine's timer thread.
#include "runner_params.hpp"

#include <chrono>

namespace rh::testing {
namespace {

using json = nlohmann::json;

json slow_first_attempt(rh::TaskContext& ctx) {
  if (ctx.run_count() == 1) ctx.sleep(std::chrono::seconds(30));
  return ctx.run_count();
}

TEST(FiberRunnerShutdown, SurvivesShutdownAfterAbandonedAndRetriedAttempts) {
  for (int cycle = 0; cycle < 60; ++cycle) {
    EngineHarness h("fiber", json{{"max_workers", 4}});
    h.library().task("a", slow_first_attempt).timeout(0.05).retries(1);
    h.library().task("b", slow_first_attempt).timeout(0.05).retries(1);
    h.library().flow("both", [](rh::FlowContext& flow) -> json {
      return rh::gather({flow.submit("a"), flow.submit("b")});
    });
    auto scope = h.run_flow("both");
    ASSERT_EQ(json::parse(scope->flow_run()->result()), (json{2, 2})) << "cycle " << cycle;
  }
}

}  // namespace
}  // namespace rh::testing
