// A task library whose registration body throws: the host must refuse it, naming the
// exception type and the first line of its message.
#include <runner_host/sdk.hpp>

#include <stdexcept>

RH_TASK_LIBRARY(lib) {
  lib.name("registration-throws");
  lib.task("never_registered", [] { return 1; });
  throw std::runtime_error("registration refused on purpose\nthis second line must not reach the message");
}
