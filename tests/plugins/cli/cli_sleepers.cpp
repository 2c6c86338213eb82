// Task library for the interrupt and live-events tests: runs that sleep for a long time
// through the SDK (so cancellation ends them), runs that wait on them and so never start,
// and a run that ignores cancellation (for the second-interrupt test).
//
// Markers are written to stdout and flushed so the test can act on them while the host runs.
#include <runner_host/sdk.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using rh::json;

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Sleeps in short steps through the runner; ctx.sleep throws rh::CancelledError on interrupt.
json nap(rh::TaskContext& ctx, const json& p) {
  say("nap " + std::to_string(p.value("index", 0)) + " running");
  const double seconds = p.value("seconds", 300.0);
  for (double slept = 0; slept < seconds; slept += 0.05) ctx.sleep_seconds(0.05);
  ctx.log(rh::LogLevel::info, "nap " + std::to_string(p.value("index", 0)) + " rested");
  return "rested";
}

json after(const json&) { return "after"; }

// Blocks its thread and never looks at cancellation: only a second interrupt ends the host.
json stubborn(const json& p) {
  say("stubborn running");
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(p.value("seconds", 300.0));
  while (std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return "done";
}

// Submits `naps` sleepers and `waiters` runs that wait for all of them, prints
// "SLEEPERS RUNNING" once every sleeper is Running, then waits for everything.
json sleepers(rh::FlowContext& flow, const json& p) {
  const int naps = p.value("naps", 2);
  const int waiters = p.value("waiters", 3);
  const double seconds = p.value("seconds", 300.0);
  std::vector<rh::Future> sleeping;
  for (int i = 0; i < naps; ++i) sleeping.push_back(flow.submit("nap", {{"index", i}, {"seconds", seconds}}));
  std::vector<rh::Future> waiting;
  for (int i = 0; i < waiters; ++i) waiting.push_back(flow.submit("after", {{"index", i}}, rh::wait_for(sleeping)));
  for (const rh::Future& f : sleeping) {
    while (!f.done() && f.state().name != "Running") flow.sleep_seconds(0.01);
  }
  say("SLEEPERS RUNNING");
  for (const rh::Future& f : sleeping) f.wait();
  for (const rh::Future& f : waiting) f.wait();
  return "all done";
}

json stubborn_flow(rh::FlowContext& flow, const json& p) {
  rh::Future f = flow.submit("stubborn", {{"seconds", p.value("seconds", 300.0)}});
  f.wait();
  return "stubborn done";
}

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.name("cli_sleepers").version("1.0.0");
  lib.task("nap", nap).description("sleeps through the runner, cancellable");
  lib.task("after", after);
  lib.task("stubborn", stubborn);
  lib.flow("sleepers", sleepers);
  lib.flow("stubborn_flow", stubborn_flow);
}
