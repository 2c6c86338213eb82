// Task library for the CLI tests with tasks and no flow: running it needs --task.
#include <runner_host/sdk.hpp>

using rh::json;

RH_TASK_LIBRARY(lib) {
  lib.name("cli_noflow").version("0.1.0");
  lib.task("one", []() { return 1; });
  lib.task("two", []() { return 2; });
}
