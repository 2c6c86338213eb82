// libnoop.so: the smallest task library, for the cold-start benchmark
// (runner-host --plugin libnoop.so --task noop).
#include <runner_host/sdk.hpp>

RH_TASK_LIBRARY(lib) {
  lib.name("noop").version("1.0.0");
  lib.task("noop", [] {}).description("does nothing");
}
