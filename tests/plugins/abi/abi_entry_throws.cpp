// A plugin whose entry point throws instead of returning a descriptor: the host must refuse
// it with an error that names the plugin, not let the exception pass unnamed.
#include <runner_host/abi.h>

#include <stdexcept>

RH_EXTERN_C RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer*) {
  throw std::runtime_error("entry refused on purpose\nsecond line");
}
