// Task library for the MPI runner's tests (tests/mpi): tasks that say which process ran
// them, one that kills its own rank the first time it runs, and flows that spread work over
// the ranks.
#include <runner_host/sdk.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

using rh::json;

namespace {

// The pid of the process that ran it, after `ms` of sleep (a worker slot's thread).
json where(const json& p) {
  std::this_thread::sleep_for(std::chrono::milliseconds(p.value("ms", 0)));
  return static_cast<long>(getpid());
}

// Kills the process that runs it unless `marker` exists, which it creates first: a rank lost
// mid-run, whose attempt succeeds where it is sent again.
json die_once(const json& p) {
  const std::string marker = p.at("marker");
  if (!std::ifstream(marker).good()) {
    std::ofstream(marker) << "died\n";
    std::raise(SIGKILL);
  }
  return "survived";
}

// n runs of `where`; the number of distinct processes that ran them.
json spread(rh::FlowContext& flow, const json& p) {
  std::vector<rh::Future> runs;
  for (int i = 0; i < p.value("n", 10); ++i) runs.push_back(flow.submit("where", {{"ms", p.value("ms", 0)}, {"i", i}}));
  std::set<long> pids;
  for (rh::Future& run : runs) pids.insert(run.result().get<long>());
  return static_cast<long>(pids.size());
}

// A task that submits children from its worker rank and gathers them.
json fan(rh::TaskContext& ctx, const json& p) {
  std::vector<rh::Future> runs;
  for (int i = 0; i < p.value("n", 4); ++i) runs.push_back(ctx.submit("where", {{"i", i}}));
  long done = 0;
  for (rh::Future& run : runs) done += run.result().is_number() ? 1 : 0;
  return done;
}

json nested(rh::FlowContext& flow, const json& p) { return flow.submit("fan", {{"n", p.value("n", 4)}}).result(); }

// n runs of `where` and one of die_once: the rank that runs die_once is lost.
json survive(rh::FlowContext& flow, const json& p) {
  std::vector<rh::Future> runs;
  for (int i = 0; i < p.value("n", 20); ++i) runs.push_back(flow.submit("where", {{"ms", 20}, {"i", i}}));
  rh::Future dying = flow.submit("die_once", {{"marker", p.at("marker")}});
  long done = 0;
  for (rh::Future& run : runs) done += run.result().is_number() ? 1 : 0;
  return json{{"where", done}, {"die_once", dying.result()}};
}

// n runs of `where` that complete (and reach the store), then one of die_once: without
// --enable-recovery the job is aborted there.
json abort_midway(rh::FlowContext& flow, const json& p) {
  std::vector<rh::Future> runs;
  for (int i = 0; i < p.value("n", 10); ++i) runs.push_back(flow.submit("where", {{"ms", 1}, {"i", i}}));
  for (rh::Future& run : runs) run.result();
  // Past the store's durability delay (docs/store.md): the results above are on disk.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return flow.submit("die_once", {{"marker", p.at("marker")}}).result();
}

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.task("where", where);
  lib.task("die_once", die_once);
  lib.task("fan", fan);
  lib.flow("spread", spread);
  lib.flow("nested", nested);
  lib.flow("survive", survive);
  lib.flow("abort_midway", abort_midway);
}
