// A small task library: a task that squares a number and a flow that maps it over a list.
#include <runner_host/sdk.hpp>

#include <vector>

using rh::json;

static json square(const json& p) {
  const int x = p.at("x").get<int>();
  return x * x;
}

static json sum_of_squares(rh::FlowContext& flow, const json& p) {
  const std::vector<rh::Future> squares = flow.map("square", {{"x", p.value("xs", json{1, 2, 3})}});
  int total = 0;
  for (const json& value : rh::gather(squares)) total += value.get<int>();
  return total;
}

RH_TASK_LIBRARY(lib) {
  lib.name("my-tasks").version("0.1.0");
  lib.task("square", square).description("x * x").task_run_name("square-{x}");
  lib.flow("sum_of_squares", sum_of_squares);
}
