// A task library with one task whose name cannot be printed on one line: RH_TEST_BAD_NAME
// picks a newline (1), another control character, ESC (2), or bytes that are not UTF-8 (3).
// The host must refuse it at load, naming the plugin and showing the name escaped.
#include <runner_host/sdk.hpp>

#if RH_TEST_BAD_NAME == 1
static const char* const kName = "bad\nname";
#elif RH_TEST_BAD_NAME == 2
static const char* const kName = "bad\x1b[31mname";
#else
static const char* const kName = "bad\xff\xfename";
#endif

RH_TASK_LIBRARY(lib) {
  lib.name("bad-names");
  lib.task("fine", [] { return 1; });
  lib.task(kName, [] { return 2; });
}
