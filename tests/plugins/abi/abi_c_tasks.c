/* A task library written in plain C against ABI 1.0 (abi_minor 0, every 1.0 field set), as
 * a plugin built with an older SDK would be. It must keep loading and running on this host. */
#include <runner_host/abi.h>

#include <stdio.h>
#include <string.h>

#define LIT(s) \
  { s, sizeof(s) - 1 }

static const rh_host_api* host;

static rh_str text(const char* s) {
  rh_str out;
  out.data = s;
  out.size = strlen(s);
  return out;
}

/* Returns its parameters unchanged. */
static int32_t c_echo(void* user_data, const rh_task_call* call) {
  (void)user_data;
  host->ctx_set_result(call->ctx, call->params_json);
  return RH_TASK_COMPLETED;
}

/* Fails with an error of its own type. */
static int32_t c_fail(void* user_data, const rh_task_call* call) {
  (void)user_data;
  host->ctx_set_error(call->ctx, text("CError"), text("failed in C"));
  return RH_TASK_FAILED;
}

/* Fails until its third attempt (options below allow 2 retries), then reports the attempt. */
static int32_t c_third_time_lucky(void* user_data, const rh_task_call* call) {
  char result[64];
  (void)user_data;
  if (call->run_count < 3) {
    host->ctx_set_error(call->ctx, text("CError"), text("not yet"));
    return RH_TASK_FAILED;
  }
  snprintf(result, sizeof result, "{\"attempt\":%u}", (unsigned)call->run_count);
  host->ctx_set_result(call->ctx, text(result));
  return RH_TASK_COMPLETED;
}

static const rh_task_def tasks[] = {
    {sizeof(rh_task_def), RH_TASK_KIND_TASK, LIT("c_echo"), LIT("returns its parameters"), LIT(""), c_echo, NULL, NULL,
     0, NULL, NULL, NULL, NULL},
    {sizeof(rh_task_def), RH_TASK_KIND_TASK, LIT("c_fail"), LIT("always fails"), LIT("{}"), c_fail, NULL, NULL, 0, NULL,
     NULL, NULL, NULL},
    {sizeof(rh_task_def), RH_TASK_KIND_TASK, LIT("c_third_time_lucky"), LIT("succeeds on attempt 3"),
     LIT("{\"retries\": 2}"), c_third_time_lucky, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

static const rh_task_library library = {sizeof(rh_task_library), LIT("c-tasks"), LIT("1.0.0"), tasks,
                                        sizeof tasks / sizeof tasks[0]};

static const rh_task_library* load_library(rh_error_sink* err) {
  (void)err;
  return &library;
}

/* Built for ABI 1.0: the descriptor ends before get_extension (1.2), as its size says. */
static const rh_plugin_descriptor descriptor = {offsetof(rh_plugin_descriptor, get_extension),
                                                1u,
                                                0u,
                                                RH_PLUGIN_KIND_TASK_LIBRARY,
                                                LIT("c-tasks"),
                                                LIT("1.0.0"),
                                                load_library,
                                                NULL,
                                                NULL};

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  host = offer->host;
  return &descriptor;
}
