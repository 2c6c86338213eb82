// A task library for the ABI compatibility matrix (tests/abi/abi_matrix_test.cpp). It uses
// only what the SDK of ABI 1.0 already had, so the same source builds against every frozen
// header set of tests/abi/frozen/ and against today's SDK; each build must keep loading and
// running on this host.
#include <runner_host/sdk.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

using rh::json;

static json add(rh::TaskContext&, const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); }

// Fails its first two attempts: with retries(2) the third completes.
static json third_time_lucky(rh::TaskContext& ctx, const json&) {
  if (ctx.run_count() < 3) throw std::runtime_error("attempt " + std::to_string(ctx.run_count()));
  return {{"attempt", ctx.run_count()}};
}

static json boom(rh::TaskContext&, const json&) { throw std::invalid_argument("boom"); }

static json nap(rh::TaskContext& ctx, const json&) {
  ctx.sleep(std::chrono::milliseconds(5));
  return "rested";
}

// Sleeps past its timeout: the run ends TimedOut.
static json oversleep(rh::TaskContext& ctx, const json&) {
  ctx.sleep(std::chrono::seconds(10));
  return "woke";
}

// Submits and waits for a nested run.
static json parent(rh::TaskContext& ctx, const json&) { return ctx.submit("add", {{"a", 20}, {"b", 22}}).result(); }

static json pipeline(rh::FlowContext& flow, const json&) {
  rh::Future sum = flow.submit("add", {{"a", 1}, {"b", 2}});
  rh::Future lucky = flow.submit("third_time_lucky", json::object());
  rh::Future napped = flow.submit("nap", json::object());
  rh::Future nested = flow.submit("parent", json::object());
  rh::Future failed = flow.submit("boom", json::object());
  failed.wait();
  return {{"sum", sum.result()},
          {"lucky", lucky.result()},
          {"nap", napped.result()},
          {"nested", nested.result()},
          {"boom", failed.state().name}};
}

RH_TASK_LIBRARY(lib) {
  lib.name("abi-matrix").version(std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR));
  lib.task("add", add).description("adds a and b");
  lib.task("third_time_lucky", third_time_lucky).retries(2);
  lib.task("boom", boom);
  lib.task("nap", nap);
  lib.task("oversleep", oversleep).timeout(0.05);
  lib.task("parent", parent);
  lib.flow("pipeline", pipeline);
}
