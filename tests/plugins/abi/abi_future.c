/* A plugin from the future: written in plain C against abi.h, it answers the negotiation
 * with ABI RH_TEST_MAJOR.RH_TEST_MINOR. Built as ABI 2.3 (another major) and as this
 * header's major with the next minor; a host must refuse both and name both versions. */
#include <runner_host/abi.h>

#define LIT(s) \
  { s, sizeof(s) - 1 }

static const rh_plugin_descriptor descriptor = {sizeof(rh_plugin_descriptor),
                                                RH_TEST_MAJOR,
                                                RH_TEST_MINOR,
                                                RH_PLUGIN_KIND_TASK_LIBRARY,
                                                LIT("from-the-future"),
                                                LIT("9.9.9"),
                                                NULL,
                                                NULL,
                                                NULL};

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  (void)offer;
  return &descriptor;
}
