// Task library for the store tests (tests/cli/cli_store_test.cpp): tasks with cache
// policies that append a line to a log file each time they really run (so a test can count
// executions across invocations), and a flow whose later runs wait at a gate file, so a test
// can kill -9 the host while some runs completed and others have not.
#include <runner_host/sdk.hpp>

#include <sys/stat.h>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

using rh::json;

namespace {

void note_run(const json& p, const std::string& what) {
  if (!p.contains("log")) return;
  std::ofstream(p.at("log").get<std::string>(), std::ios::app) << what << '\n';
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

json square(rh::TaskContext& ctx, const json& p) {
  const int x = p.at("x");
  if (p.contains("gate") && x >= p.value("slow_from", 1 << 30)) {
    ctx.log(rh::LogLevel::warn, "waiting at the gate");
    while (exists(p.at("gate").get<std::string>())) ctx.sleep(std::chrono::milliseconds(10));
  }
  note_run(p, "square " + std::to_string(x));
  return x * x;
}

json ship(const json& p) {
  note_run(p, "ship");
  if (p.value("fail", false)) throw std::runtime_error("carrier down");
  return "shipped";
}

// {"n": N, "log": FILE, "gate": FILE, "slow_from": K, "task": T}: T (default square) of x
// for x in 0..N-1; those from K on wait while the gate file exists.
json squares(rh::FlowContext& flow, const json& p) {
  std::vector<rh::Future> runs;
  for (int x = 0; x < p.value("n", 3); ++x) {
    json params = {{"x", x}};
    for (const char* key : {"log", "gate", "slow_from"}) {
      if (p.contains(key)) params[key] = p.at(key);
    }
    runs.push_back(flow.submit(p.value("task", "square"), params));
  }
  std::int64_t sum = 0;
  for (rh::Future& run : runs) sum += run.result().get<std::int64_t>();
  return sum;
}

json shipping(rh::FlowContext& flow, const json& p) {
  return flow.submit("ship", {{"fail", p.value("fail", false)}, {"log", p.value("log", "")}}).result();
}

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.name("store_tasks").version("1.0.0");
  // The log and the gate are how the test watches, not what the result depends on.
  lib.task("square", square)
      .version("2")
      .cache_policy(rh::cache::inputs().exclude({"log", "gate", "slow_from"}) + rh::cache::task_source());
  lib.task("square_plain", square);  // no cache: only --resume can skip it
  // One process at a time computes a key; the others wait for its result.
  lib.task("square_serial", square)
      .cache_policy(rh::cache::inputs().exclude({"log", "gate", "slow_from"}))
      .cache_isolation(rh::Isolation::serializable);
  lib.task("ship", ship).cache_policy(rh::cache::inputs().exclude({"log"}));
  lib.flow("squares", squares);
  lib.flow("shipping", shipping);
}
