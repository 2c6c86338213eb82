/*
 * Pinned layout of every struct that crosses the plugin boundary (DESIGN.md section 3,
 * rule 3). Included by a C11 and a C++17 translation unit, so both languages must agree.
 *
 * A failing assertion means a field moved: that breaks every plugin already built. Structs
 * may only grow at the end; when a field is appended (a minor version bump), add its offset
 * here and update the pinned size on purpose.
 */
#ifndef RH_TESTS_ABI_LAYOUT_H
#define RH_TESTS_ABI_LAYOUT_H

#include <runner_host/abi.h>

#ifdef __cplusplus
#define RH_LAYOUT_ASSERT(cond, what) static_assert(cond, what)
#else
#define RH_LAYOUT_ASSERT(cond, what) _Static_assert(cond, what)
#endif

#define RH_PIN_OFFSET(type, field, offset) \
  RH_LAYOUT_ASSERT(offsetof(type, field) == (offset), #type "." #field " moved (ABI break)")
#define RH_PIN_SIZE(type, size) RH_LAYOUT_ASSERT(sizeof(type) == (size), "sizeof(" #type ") changed")
/* Rule 3: every boundary struct starts with a uint32_t struct_size. */
#define RH_PIN_STRUCT_SIZE_FIRST(type)                                                              \
  RH_LAYOUT_ASSERT(offsetof(type, struct_size) == 0, #type ".struct_size is not the first member"); \
  RH_LAYOUT_ASSERT(sizeof(((type*)0)->struct_size) == 4, #type ".struct_size is not 32 bits")

/* Portable: holds on every platform. */
RH_PIN_STRUCT_SIZE_FIRST(rh_error_sink);
RH_PIN_STRUCT_SIZE_FIRST(rh_txn_options);
RH_PIN_STRUCT_SIZE_FIRST(rh_run_view);
RH_PIN_STRUCT_SIZE_FIRST(rh_dependency);
RH_PIN_STRUCT_SIZE_FIRST(rh_submit_request);
RH_PIN_STRUCT_SIZE_FIRST(rh_host_api);
RH_PIN_STRUCT_SIZE_FIRST(rh_task_call);
RH_PIN_STRUCT_SIZE_FIRST(rh_hook);
RH_PIN_STRUCT_SIZE_FIRST(rh_task_def);
RH_PIN_STRUCT_SIZE_FIRST(rh_task_library);
RH_PIN_STRUCT_SIZE_FIRST(rh_runner_api);
RH_PIN_STRUCT_SIZE_FIRST(rh_host_offer);
RH_PIN_STRUCT_SIZE_FIRST(rh_plugin_descriptor);
RH_PIN_STRUCT_SIZE_FIRST(rh_runner_host);
RH_PIN_STRUCT_SIZE_FIRST(rh_host_info);

/* The version fields the host reads before anything else must never move. */
RH_PIN_OFFSET(rh_plugin_descriptor, abi_major, 4);
RH_PIN_OFFSET(rh_plugin_descriptor, abi_minor, 8);
RH_PIN_OFFSET(rh_plugin_descriptor, kind, 12);
RH_PIN_OFFSET(rh_host_offer, abi_major, 4);
RH_PIN_OFFSET(rh_host_offer, abi_minor_max, 8);
RH_PIN_OFFSET(rh_host_api, abi_major, 4);
RH_PIN_OFFSET(rh_host_api, abi_minor, 8);

#if defined(__x86_64__) && defined(__LP64__)
#define RH_ABI_LAYOUT_PINNED 1

RH_PIN_SIZE(rh_str, 16);
RH_PIN_OFFSET(rh_str, data, 0);
RH_PIN_OFFSET(rh_str, size, 8);

RH_PIN_SIZE(rh_error_sink, 24);
RH_PIN_SIZE(rh_text_sink, 24); /* ABI 1.3 */
RH_PIN_OFFSET(rh_text_sink, host_data, 8);
RH_PIN_OFFSET(rh_text_sink, set, 16);
RH_PIN_SIZE(rh_txn_options, 32); /* ABI 1.3 */
RH_PIN_OFFSET(rh_txn_options, commit_mode, 4);
RH_PIN_OFFSET(rh_txn_options, key, 8);
RH_PIN_OFFSET(rh_txn_options, isolation, 24);
RH_PIN_OFFSET(rh_error_sink, host_data, 8);
RH_PIN_OFFSET(rh_error_sink, set, 16);

RH_PIN_SIZE(rh_run_view, 168);
RH_PIN_OFFSET(rh_run_view, run_id, 8);
RH_PIN_OFFSET(rh_run_view, flow_run_id, 16);
RH_PIN_OFFSET(rh_run_view, task_name, 24);
RH_PIN_OFFSET(rh_run_view, run_name, 40);
RH_PIN_OFFSET(rh_run_view, state_type, 56);
RH_PIN_OFFSET(rh_run_view, run_count, 60);
RH_PIN_OFFSET(rh_run_view, state_name, 64);
RH_PIN_OFFSET(rh_run_view, state_message, 80);
RH_PIN_OFFSET(rh_run_view, params_json, 96);
RH_PIN_OFFSET(rh_run_view, result_json, 112);
RH_PIN_OFFSET(rh_run_view, error_type, 128);
RH_PIN_OFFSET(rh_run_view, error_message, 144);
RH_PIN_OFFSET(rh_run_view, is_final, 160);

RH_PIN_SIZE(rh_dependency, 16);
RH_PIN_OFFSET(rh_dependency, flags, 4);
RH_PIN_OFFSET(rh_dependency, run, 8);

RH_PIN_SIZE(rh_submit_request, 56);
RH_PIN_OFFSET(rh_submit_request, task_name, 8);
RH_PIN_OFFSET(rh_submit_request, params_json, 24);
RH_PIN_OFFSET(rh_submit_request, wait_for, 40);
RH_PIN_OFFSET(rh_submit_request, wait_for_count, 48);

RH_PIN_SIZE(rh_host_api, 368); /* 1.2 appended get_extension, 1.3 the transactions */
RH_PIN_OFFSET(rh_host_api, alloc, 16);
RH_PIN_OFFSET(rh_host_api, free, 24);
RH_PIN_OFFSET(rh_host_api, log, 32);
RH_PIN_OFFSET(rh_host_api, now_ns, 40);
RH_PIN_OFFSET(rh_host_api, ctx_log, 48);
RH_PIN_OFFSET(rh_host_api, ctx_sleep, 56);
RH_PIN_OFFSET(rh_host_api, ctx_yield, 64);
RH_PIN_OFFSET(rh_host_api, ctx_status, 72);
RH_PIN_OFFSET(rh_host_api, ctx_deadline, 80);
RH_PIN_OFFSET(rh_host_api, ctx_set_result, 88);
RH_PIN_OFFSET(rh_host_api, ctx_set_error, 96);
RH_PIN_OFFSET(rh_host_api, submit, 104);
RH_PIN_OFFSET(rh_host_api, run_retain, 112);
RH_PIN_OFFSET(rh_host_api, run_release, 120);
RH_PIN_OFFSET(rh_host_api, run_id, 128);
RH_PIN_OFFSET(rh_host_api, run_wait, 136);
RH_PIN_OFFSET(rh_host_api, run_snapshot, 144);
RH_PIN_OFFSET(rh_host_api, run_on_done, 152);
RH_PIN_OFFSET(rh_host_api, waitset_create, 160);
RH_PIN_OFFSET(rh_host_api, waitset_add, 168);
RH_PIN_OFFSET(rh_host_api, waitset_next, 176);
RH_PIN_OFFSET(rh_host_api, waitset_destroy, 184);
RH_PIN_OFFSET(rh_host_api, event_create, 192);
RH_PIN_OFFSET(rh_host_api, event_set, 200);
RH_PIN_OFFSET(rh_host_api, event_is_set, 208);
RH_PIN_OFFSET(rh_host_api, event_wait, 216);
RH_PIN_OFFSET(rh_host_api, event_destroy, 224);
RH_PIN_OFFSET(rh_host_api, timer_schedule, 232);
RH_PIN_OFFSET(rh_host_api, timer_cancel, 240);
RH_PIN_OFFSET(rh_host_api, waiter_instance, 248);
RH_PIN_OFFSET(rh_host_api, waiter_create, 256);
RH_PIN_OFFSET(rh_host_api, waiter_release, 264);
RH_PIN_OFFSET(rh_host_api, waiter_stop, 272);
RH_PIN_OFFSET(rh_host_api, waiter_wait, 280);
RH_PIN_OFFSET(rh_host_api, waiter_add_done_callback, 288);
RH_PIN_OFFSET(rh_host_api, get_extension, 296);
RH_PIN_OFFSET(rh_host_api, txn_begin, 304); /* ABI 1.3 */
RH_PIN_OFFSET(rh_host_api, txn_commit, 312);
RH_PIN_OFFSET(rh_host_api, txn_rollback, 320);
RH_PIN_OFFSET(rh_host_api, txn_close, 328);
RH_PIN_OFFSET(rh_host_api, txn_state, 336);
RH_PIN_OFFSET(rh_host_api, txn_is_committed, 344);
RH_PIN_OFFSET(rh_host_api, txn_set, 352);
RH_PIN_OFFSET(rh_host_api, txn_get, 360);

RH_PIN_SIZE(rh_task_call, 88);
RH_PIN_OFFSET(rh_task_call, ctx, 8);
RH_PIN_OFFSET(rh_task_call, run_id, 16);
RH_PIN_OFFSET(rh_task_call, flow_run_id, 24);
RH_PIN_OFFSET(rh_task_call, run_count, 32);
RH_PIN_OFFSET(rh_task_call, task_name, 40);
RH_PIN_OFFSET(rh_task_call, run_name, 56);
RH_PIN_OFFSET(rh_task_call, params_json, 72);

RH_PIN_SIZE(rh_hook, 40);
RH_PIN_OFFSET(rh_hook, kind, 4);
RH_PIN_OFFSET(rh_hook, name, 8);
RH_PIN_OFFSET(rh_hook, call, 24);
RH_PIN_OFFSET(rh_hook, user_data, 32);

RH_PIN_SIZE(rh_task_def, 120);
RH_PIN_OFFSET(rh_task_def, kind, 4);
RH_PIN_OFFSET(rh_task_def, name, 8);
RH_PIN_OFFSET(rh_task_def, description, 24);
RH_PIN_OFFSET(rh_task_def, options_json, 40);
RH_PIN_OFFSET(rh_task_def, run, 56);
RH_PIN_OFFSET(rh_task_def, user_data, 64);
RH_PIN_OFFSET(rh_task_def, hooks, 72);
RH_PIN_OFFSET(rh_task_def, hook_count, 80);
RH_PIN_OFFSET(rh_task_def, retry_condition, 88);
RH_PIN_OFFSET(rh_task_def, retry_condition_user_data, 96);
RH_PIN_OFFSET(rh_task_def, cache_key_fn, 104); /* ABI 1.3 */
RH_PIN_OFFSET(rh_task_def, cache_key_user_data, 112);

RH_PIN_SIZE(rh_task_library, 56);
RH_PIN_OFFSET(rh_task_library, name, 8);
RH_PIN_OFFSET(rh_task_library, version, 24);
RH_PIN_OFFSET(rh_task_library, tasks, 40);
RH_PIN_OFFSET(rh_task_library, task_count, 48);

RH_PIN_SIZE(rh_runner_api, 120); /* 1.1 appended inline_depth, 1.2 set_host */
RH_PIN_OFFSET(rh_runner_api, create, 8);
RH_PIN_OFFSET(rh_runner_api, start, 16);
RH_PIN_OFFSET(rh_runner_api, submit, 24);
RH_PIN_OFFSET(rh_runner_api, shutdown, 32);
RH_PIN_OFFSET(rh_runner_api, destroy, 40);
RH_PIN_OFFSET(rh_runner_api, concurrency, 48);
RH_PIN_OFFSET(rh_runner_api, event_create, 56);
RH_PIN_OFFSET(rh_runner_api, event_set, 64);
RH_PIN_OFFSET(rh_runner_api, event_is_set, 72);
RH_PIN_OFFSET(rh_runner_api, event_wait, 80);
RH_PIN_OFFSET(rh_runner_api, event_destroy, 88);
RH_PIN_OFFSET(rh_runner_api, yield, 96);
RH_PIN_OFFSET(rh_runner_api, inline_depth, 104);
RH_PIN_OFFSET(rh_runner_api, set_host, 112);

RH_PIN_SIZE(rh_runner_host, 48);
RH_PIN_OFFSET(rh_runner_host, host_data, 8);
RH_PIN_OFFSET(rh_runner_host, timer_schedule, 16);
RH_PIN_OFFSET(rh_runner_host, timer_cancel, 24);
RH_PIN_OFFSET(rh_runner_host, log, 32);
RH_PIN_OFFSET(rh_runner_host, get_extension, 40);

RH_PIN_SIZE(rh_host_info, 40);
RH_PIN_OFFSET(rh_host_info, name, 8);
RH_PIN_OFFSET(rh_host_info, version, 24);

RH_PIN_SIZE(rh_host_offer, 24);
RH_PIN_OFFSET(rh_host_offer, host, 16);

RH_PIN_SIZE(rh_plugin_descriptor, 72); /* 1.2 appended get_extension */
RH_PIN_OFFSET(rh_plugin_descriptor, name, 16);
RH_PIN_OFFSET(rh_plugin_descriptor, version, 32);
RH_PIN_OFFSET(rh_plugin_descriptor, load_library, 48);
RH_PIN_OFFSET(rh_plugin_descriptor, runner, 56);
RH_PIN_OFFSET(rh_plugin_descriptor, get_extension, 64);

#endif /* x86_64 */

/* Sizes and a few offsets as the C compiler sees them (abi_layout_c.c), compared with the
 * C++ view at run time: a bool or enum that differs between the languages shows up here. */
#define RH_ABI_LAYOUT_FACTS 18
#ifdef __cplusplus
extern "C" {
#endif
void rh_test_abi_layout_from_c(size_t facts[RH_ABI_LAYOUT_FACTS]);
#ifdef __cplusplus
}
#endif

/* The order of facts[], shared by both sides. */
#define RH_ABI_LAYOUT_FILL(facts)                                  \
  do {                                                             \
    (facts)[0] = sizeof(rh_str);                                   \
    (facts)[1] = sizeof(rh_error_sink);                            \
    (facts)[2] = sizeof(rh_run_view);                              \
    (facts)[3] = sizeof(rh_dependency);                            \
    (facts)[4] = sizeof(rh_submit_request);                        \
    (facts)[5] = sizeof(rh_host_api);                              \
    (facts)[6] = sizeof(rh_task_call);                             \
    (facts)[7] = sizeof(rh_hook);                                  \
    (facts)[8] = sizeof(rh_task_def);                              \
    (facts)[9] = sizeof(rh_task_library);                          \
    (facts)[10] = sizeof(rh_runner_api);                           \
    (facts)[11] = sizeof(rh_host_offer);                           \
    (facts)[12] = sizeof(rh_plugin_descriptor);                    \
    (facts)[13] = offsetof(rh_run_view, is_final);                 \
    (facts)[14] = sizeof(((rh_run_view*)0)->is_final);             \
    (facts)[15] = offsetof(rh_host_api, waiter_add_done_callback); \
    (facts)[16] = sizeof(rh_runner_host);                          \
    (facts)[17] = sizeof(rh_host_info);                            \
  } while (0)

#endif /* RH_TESTS_ABI_LAYOUT_H */
