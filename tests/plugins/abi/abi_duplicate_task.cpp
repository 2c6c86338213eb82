// One library that declares the same task name twice (after a valid task, to show the
// registry takes all of a library or nothing).
#include <runner_host/sdk.hpp>

RH_TASK_LIBRARY(lib) {
  lib.name("duplicate-task");
  lib.task("unique_before", [] { return 1; });
  lib.task("twice", [] { return 1; });
  lib.task("twice", [] { return 2; });
}
