// The example task library from the README: two tasks and a flow that chains them.
#include <runner_host/sdk.hpp>

#include <stdexcept>

using rh::json;

static json add(rh::TaskContext&, const json& p) { return p.at("a").get<int>() + p.at("b").get<int>(); }

static json boom(rh::TaskContext&, const json&) { throw std::runtime_error("boom"); }

static json pipeline(rh::FlowContext& flow, const json& p) {
  rh::Future a = flow.submit("add", {{"a", 1}, {"b", p.value("b", 2)}});
  rh::Future b = flow.submit("add", {{"a", a.result()}, {"b", 10}});
  rh::Future c = flow.submit("boom", json::object());
  c.wait();
  return {{"b", b.result()}, {"c_state", c.state().name}};
}

RH_TASK_LIBRARY(lib) {
  lib.name("demo").version("1.0.0");
  lib.task("add", add).description("adds a and b");
  lib.task("boom", boom);
  lib.flow("pipeline", pipeline);
}
