/* A plugin built against a smaller descriptor than the host's: its struct ends after `kind`
 * (RH_TEST_FIELDS 4) or even before it (RH_TEST_FIELDS 3). The memory after it belongs to
 * nobody, so the host must check struct_size before reading load_library or runner. */
#include <runner_host/abi.h>

#ifndef RH_TEST_FIELDS
#error "define RH_TEST_FIELDS (3 or 4)"
#endif

struct old_descriptor {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
#if RH_TEST_FIELDS >= 4
  uint32_t kind;
#endif
};

#if RH_TEST_FIELDS >= 4
static const struct old_descriptor descriptor = {sizeof(struct old_descriptor), RH_ABI_VERSION_MAJOR, 0u,
                                                 RH_PLUGIN_KIND_TASK_LIBRARY};
#else
static const struct old_descriptor descriptor = {sizeof(struct old_descriptor), RH_ABI_VERSION_MAJOR, 0u};
#endif

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  (void)offer;
  return (const rh_plugin_descriptor*)(const void*)&descriptor;
}
