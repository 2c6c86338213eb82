// Task library for the hardening tests: tasks that misbehave the way real ones do (crash,
// abort, call exit(), ignore their timeout, nest deeply) and flows that queue very many
// runs. Markers go to stdout, flushed, so a test can act while the host runs.
#include <runner_host/sdk.hpp>

#include <stdexcept>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using rh::json;

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Blocks its thread without looking at cancellation or its deadline.
void block_for(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

json ok(const json& p) { return p.value("value", 0); }

json fails(const json&) { throw std::runtime_error("fails on purpose"); }

json segfault(const json&) {
  say("segfault running");
  std::raise(SIGSEGV);
  return nullptr;
}

json abort_task(const json&) {
  say("abort running");
  std::abort();
}

json exit_task(const json& p) {
  say("exit running");
  std::exit(p.value("status", 3));
}

json ignores_timeout(const json& p) {
  say("ignores_timeout running");
  block_for(p.value("seconds", 300.0));
  return "too late";
}

// A run that submits a child that submits a child... `depth` levels, each waiting for its child.
json nest(rh::TaskContext& ctx, const json& p) {
  const int depth = p.value("depth", 0);
  if (depth <= 0) return 0;
  return ctx.submit("nest", {{"depth", depth - 1}}).result().get<int>() + 1;
}

// Some runs complete, then one misbehaves (task `bad`), then more would follow.
json then_bad(rh::FlowContext& flow, const json& p) {
  const int before = p.value("before", 3);
  for (int i = 0; i < before; ++i) flow.submit("ok", {{"value", i}}).wait();
  say("completed " + std::to_string(before));
  flow.submit(p.value("bad", std::string("segfault")), p.value("bad_params", json::object())).wait();
  for (int i = 0; i < 3; ++i) flow.submit("ok", {{"value", i}}).wait();
  return "survived";
}

// Submits `runs` no-op runs without keeping their futures (every `fail_every`-th one a run
// that fails, when given), saying "queued N" every `report_every` submissions, then waits
// for the flow's runs through the host.
json many(rh::FlowContext& flow, const json& p) {
  const long runs = p.value("runs", 1000000L);
  const long report_every = p.value("report_every", 100000L);
  const long fail_every = p.value("fail_every", 0L);
  for (long i = 0; i < runs; ++i) {
    flow.submit(fail_every > 0 && (i + 1) % fail_every == 0 ? "fails" : "ok");
    if ((i + 1) % report_every == 0) say("queued " + std::to_string(i + 1));
  }
  return runs;
}

json nest_flow(rh::FlowContext& flow, const json& p) {
  return flow.submit("nest", {{"depth", p.value("depth", 10)}}).result();
}

json timeout_flow(rh::FlowContext& flow, const json& p) {
  rh::Future f = flow.submit("ignores_timeout", {{"seconds", p.value("seconds", 300.0)}});
  f.wait();
  say("timed out run reported " + f.state().name);
  return "flow done";
}

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.name("cli_hazards").version("1.0.0");
  lib.task("ok", ok);
  lib.task("fails", fails);
  lib.task("segfault", segfault);
  lib.task("abort", abort_task);
  lib.task("exit", exit_task);
  lib.task("ignores_timeout", ignores_timeout).timeout(0.2);
  lib.task("nest", nest);
  lib.flow("then_bad", then_bad);
  lib.flow("many", many);
  lib.flow("nest_flow", nest_flow);
  lib.flow("timeout_flow", timeout_flow);
}
