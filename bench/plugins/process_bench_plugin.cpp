// libprocess_bench.so: the task library of the process runner's workloads (process_runs.cpp),
// a file the worker processes load: a no-op, and a task that dies of SIGSEGV.
#include <runner_host/sdk.hpp>

#include <csignal>

RH_TASK_LIBRARY(lib) {
  lib.name("process_bench").version("1.0.0");
  lib.task("noop", [] {}).description("does nothing");
  lib.task("segfault",
           []() -> rh::json {
             std::raise(SIGSEGV);
             return nullptr;
           })
      .description("dies of SIGSEGV");
}
