// Task library for the report tests (tests/cli/cli_html_test.cpp, tests/browser): one flow,
// "showcase", with a run in every state a report draws. {"n": N} sets how many "square"
// runs it fans out (default 12); each "total" waits for two of them (dependency edges), one
// "flaky" run fails once and is retried after a short delay, "lookup" runs twice with the
// same parameters (the second ends Cached), and "boom" fails. "square" carries the tag
// "squares", for a concurrency limit.
#include <runner_host/sdk.hpp>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using rh::json;

namespace {

json square(const json& p) {
  std::this_thread::sleep_for(std::chrono::milliseconds(p.value("ms", 2)));
  const int x = p.at("x");
  return x * x;
}

json total(const json& p) { return p.at("of"); }

json flaky(rh::TaskContext& ctx, const json&) {
  if (ctx.run_count() < 2) throw std::runtime_error("flaky: the first attempt fails on purpose");
  return "steady";
}

json lookup(const json& p) { return "value of " + p.at("key").get<std::string>(); }

json boom(const json&) { throw std::runtime_error("boom </script> on purpose"); }

json showcase(rh::FlowContext& flow, const json& p) {
  const int n = p.value("n", 12);
  std::vector<rh::Future> squares;
  for (int x = 0; x < n; ++x) squares.push_back(flow.submit("square", {{"x", x}, {"ms", p.value("ms", 2)}}));
  std::vector<rh::Future> totals;
  for (int x = 0; x + 1 < n; x += 2) {
    totals.push_back(flow.submit("total", {{"of", json::array({x, x + 1})}},
                                 rh::wait_for(std::vector<rh::Future>{squares[x], squares[x + 1]})));
  }
  rh::Future flaky_run = flow.submit("flaky");
  flow.submit("lookup", {{"key", "k"}}).wait();
  rh::Future cached = flow.submit("lookup", {{"key", "k"}});
  rh::Future failed = flow.submit("boom");
  for (rh::Future& run : totals) run.wait();
  flaky_run.wait();
  cached.wait();
  failed.wait();
  return json{{"squares", n}, {"totals", totals.size()}};
}

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.name("report_tasks").version("1.0.0");
  lib.task("square", square).tags({"squares"});  // limited by the trace test
  lib.task("total", total);
  lib.task("flaky", flaky).retries(2).retry_delay(0.02);
  lib.task("lookup", lookup).cache_policy(rh::cache::inputs());
  lib.task("boom", boom);
  lib.flow("showcase", showcase);
}
