/* A task library whose load_library fails without saying why (returns NULL, reports
 * nothing): the host's error must still name the plugin and say that no reason was given. */
#include <runner_host/abi.h>

#include <stddef.h>

#define LIT(s) \
  { s, sizeof(s) - 1 }

static const rh_task_library* load_library(rh_error_sink* err) {
  (void)err;
  return NULL;
}

static const rh_plugin_descriptor descriptor = {sizeof(rh_plugin_descriptor),
                                                RH_ABI_VERSION_MAJOR,
                                                RH_ABI_VERSION_MINOR,
                                                RH_PLUGIN_KIND_TASK_LIBRARY,
                                                LIT("silent"),
                                                LIT("1.0.0"),
                                                load_library,
                                                NULL,
                                                NULL};

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  (void)offer;
  return &descriptor;
}
