/* A plugin from the future: written in plain C against abi.h, it answers the negotiation
 * with ABI 2.3. A 1.x host must refuse it and name both versions. */
#include <runner_host/abi.h>

#define LIT(s) \
  { s, sizeof(s) - 1 }

static const rh_plugin_descriptor descriptor = {sizeof(rh_plugin_descriptor),
                                                2u,
                                                3u,
                                                RH_PLUGIN_KIND_TASK_LIBRARY,
                                                LIT("from-abi-2"),
                                                LIT("2.3.0"),
                                                NULL,
                                                NULL,
                                                NULL};

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  (void)offer;
  return &descriptor;
}
