/* A real shared library that is not a runner-host plugin: it exports a function, but not
 * rh_plugin_entry. The loader must say the entry symbol is missing. */
#include <runner_host/abi.h>

RH_EXPORT int rh_plugin_entry_misspelled(void) { return 42; }
