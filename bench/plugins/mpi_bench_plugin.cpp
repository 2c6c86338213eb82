// libmpi_bench.so: the task library of the MPI runner's workloads (mpi_runs.cpp). The flow
// times its own runs, so that starting the job (mpirun, the ranks, loading) is not counted,
// as the raw loop and the mpi4py peer do not count theirs.
#include <runner_host/sdk.hpp>

#include <chrono>
#include <thread>
#include <vector>

using rh::json;

RH_TASK_LIBRARY(lib) {
  lib.name("mpi_bench").version("1.0.0");
  lib.task("work",
           [](const json& p) -> json {
             const int ms = p.value("ms", 0);
             if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
             return nullptr;
           })
      .description("sleeps ms milliseconds (0: a no-op)");
  // n runs of work; the seconds from the first submit to the last result.
  lib.flow("timed", [](rh::FlowContext& flow, const json& p) -> json {
    const int n = p.value("n", 400);
    const json params = {{"ms", p.value("ms", 10)}};
    const auto start = std::chrono::steady_clock::now();
    std::vector<rh::Future> runs;
    runs.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) runs.push_back(flow.submit("work", params));
    for (rh::Future& run : runs) run.result();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}
