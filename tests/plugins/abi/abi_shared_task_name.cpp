// Built twice (RH_TEST_LIBRARY "a" and "b"): two libraries that both define "shared_task".
// Each also has a task of its own, declared first, which must not be registered when the
// library is refused.
#include <runner_host/sdk.hpp>

#include <string>

RH_TASK_LIBRARY(lib) {
  lib.name(std::string("shared-name-") + RH_TEST_LIBRARY);
  lib.task(std::string("only_in_") + RH_TEST_LIBRARY, [] { return 1; });
  lib.task("shared_task", [] { return std::string(RH_TEST_LIBRARY); });
}
