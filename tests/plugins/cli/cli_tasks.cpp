// Task library for the CLI tests: two flows (so --flow is required), tasks with declared
// options, a task that fails on its first attempt only, a task that logs at each level, one
// whose failure hook logs, and one whose run name cannot be rendered.
#include <runner_host/sdk.hpp>

#include <stdexcept>
#include <vector>

using rh::json;

static json add(const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); }

static json kaput(rh::TaskContext&, const json&) { throw std::runtime_error("kaput on purpose"); }

// Fails the first attempt, succeeds from the second: the outcome depends on "retries".
static json flaky(rh::TaskContext& ctx, const json&) {
  if (ctx.run_count() < 2) throw std::runtime_error("flaky first attempt");
  return json{{"attempt", ctx.run_count()}};
}

static json echo(const json& p) { return p; }

static json chatty(rh::TaskContext& ctx, const json&) {
  ctx.log(rh::LogLevel::info, "chatty-info-line");
  ctx.log(rh::LogLevel::warn, "chatty-warn-line");
  ctx.log(rh::LogLevel::error, "chatty-error-line");
  return "chatted";
}

static json sum_flow(rh::FlowContext& flow, const json& p) {
  rh::Future a = flow.submit("add", {{"a", p.value("a", 1)}, {"b", p.value("b", 2)}});
  return json{{"flow", "sum"}, {"sum", a.result()}};
}

static json echo_flow(rh::FlowContext& flow, const json& p) {
  rh::Future e = flow.submit("echo", p);
  return json{{"flow", "echo_flow"}, {"echoed", e.result()}};
}

static json chatty_flow(rh::FlowContext& flow, const json&) {
  rh::Future c = flow.submit("chatty");
  rh::Future k = flow.submit("kaput");
  k.wait();
  return json{{"chatty", c.result()}};
}

// A dependency edge (echo waits for add) and a task that fails once (flaky): what a trace
// draws as an arrow and a retry delay, given retries in the config.
static json traced_flow(rh::FlowContext& flow, const json&) {
  rh::Future a = flow.submit("add", {{"a", 1}, {"b", 2}});
  rh::Future e = flow.submit("echo", {{"after", "add"}}, rh::wait_for(std::vector<rh::Future>{a}));
  rh::Future f = flow.submit("flaky");
  return json{{"add", a.result()}, {"echo", e.result()}, {"flaky", f.result()}};
}

// A run whose name template names a parameter it is not given: it fails before it starts.
static json misnamed_flow(rh::FlowContext& flow, const json&) {
  flow.submit("named", json{{"x", 1}}).wait();
  return nullptr;
}

RH_TASK_LIBRARY(lib) {
  lib.name("cli_tasks").version("2.3.4");
  lib.task("add", add).description("adds a and b").retries(3).tags({"math"});
  lib.task("kaput", kaput).description("always fails").on_failure([](const rh::RunInfo& run) {
    run.log(rh::LogLevel::warn, "kaput-hook-line");
  });
  lib.task("named", echo).task_run_name("named-{missing}");
  lib.task("flaky", flaky).description("fails once, then succeeds");
  lib.task("echo", echo);
  lib.task("chatty", chatty);
  lib.flow("sum", sum_flow).description("adds two numbers in a task");
  lib.flow("echo_flow", echo_flow).description("echoes its parameters through a task");
  lib.flow("chatty_flow", chatty_flow);
  lib.flow("misnamed_flow", misnamed_flow);
  lib.flow("traced_flow", traced_flow);
}
