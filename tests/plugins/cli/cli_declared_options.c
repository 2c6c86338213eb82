/* A task library in plain C whose one task, "declared", declares options JSON beyond the
 * host's limits, for the CLI tests of them (tests/cli/cli_limits_test.cpp). RH_TEST_CASE
 * picks it: 1 a number no double holds (which the SDK could not write), 2 lists nested
 * 100,000 deep, 3 a timeout beyond the maximum duration. */
#include <runner_host/abi.h>

#include <string.h>

#define LIT(s) \
  { s, sizeof(s) - 1 }

static int32_t declared(void* user_data, const rh_task_call* call) {
  (void)user_data;
  (void)call;
  return RH_TASK_COMPLETED;
}

static rh_task_def tasks[] = {
    {sizeof(rh_task_def), RH_TASK_KIND_TASK, LIT("declared"), LIT(""), LIT(""), declared, NULL, NULL, 0, NULL, NULL,
     NULL, NULL},
};

static const rh_task_library library = {sizeof(rh_task_library), LIT("declared-options"), LIT("1.0.0"), tasks, 1};

#define DEPTH 100000
#if RH_TEST_CASE == 1
#define OPTIONS "{\"retry_delay\": 1e400}"
#elif RH_TEST_CASE == 3
#define OPTIONS "{\"timeout_seconds\": 1e10}"
#endif
static char deep_options[16 + 2 * DEPTH];

static const rh_task_library* load_library(rh_error_sink* err) {
  (void)err;
#if RH_TEST_CASE == 2
  {
    size_t at = 0;
    int i;
    memcpy(deep_options, "{\"tags\": ", 9);
    at = 9;
    for (i = 0; i < DEPTH; ++i) deep_options[at++] = '[';
    for (i = 0; i < DEPTH; ++i) deep_options[at++] = ']';
    deep_options[at++] = '}';
    tasks[0].options_json.data = deep_options;
    tasks[0].options_json.size = at;
  }
#else
  (void)deep_options;
  tasks[0].options_json.data = OPTIONS;
  tasks[0].options_json.size = strlen(OPTIONS);
#endif
  return &library;
}

static const rh_plugin_descriptor descriptor = {sizeof(rh_plugin_descriptor),
                                                RH_ABI_VERSION_MAJOR,
                                                RH_ABI_VERSION_MINOR,
                                                RH_PLUGIN_KIND_TASK_LIBRARY,
                                                LIT("declared-options"),
                                                LIT("1.0.0"),
                                                load_library,
                                                NULL,
                                                NULL};

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  (void)offer;
  return &descriptor;
}
