/* A runner written in plain C against abi.h alone, the way a stranger would: one thread per
 * work item, events on one runner-wide mutex and condition variable, timed waits woken by
 * the host's timers (the process-level rh_host_api.timer_schedule of ABI 1.0). Every
 * optional function is left NULL: concurrency, event_is_set, inline_depth, set_host.
 *
 * Built three times against today's abi.h: with RH_TEST_TABLE_ABI_1_1 its table ends before
 * set_host, as a runner built for ABI 1.1 would; with RH_TEST_WITHOUT_EVENT_SET it lacks a
 * required function. Built too against the frozen abi.h of every earlier minor
 * (tests/abi/frozen/), where it has only the fields that minor had. From ABI 1.2 the
 * descriptor offers the extension "test.c_runner/1", which counts the timed waits the host
 * could not give a timer to (each would have waited forever). */
#include <runner_host/abi.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LIT(s) \
  { s, sizeof(s) - 1 }

static const rh_host_api* host;

typedef struct runner {
  pthread_mutex_t mutex;
  pthread_cond_t changed; /* any event set, any deadline passed, the last item ended */
  int started;
  int stopping;
  long in_flight;
} runner;

typedef struct event {
  runner* owner;
  int set; /* guarded by owner->mutex */
} event;

/* One timed wait, shared with its timer. The wait frees it, once the timer was cancelled
 * or has finished with it. */
typedef struct deadline_wake {
  runner* owner;
  int timed_out; /* guarded by owner->mutex; the timer's last touch */
} deadline_wake;

typedef struct item {
  runner* owner;
  rh_work_fn fn;
  void* arg;
} item;

typedef struct c_runner_stats {
  uint32_t struct_size;
  uint64_t (*timers_unavailable)(void);
} c_runner_stats;

static pthread_mutex_t stats_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t timers_unavailable_count;

/* The descriptor's get_extension, and so the extension, exist from ABI 1.2. */
#if RH_ABI_VERSION_MINOR >= 2
static uint64_t timers_unavailable(void) {
  pthread_mutex_lock(&stats_mutex);
  const uint64_t count = timers_unavailable_count;
  pthread_mutex_unlock(&stats_mutex);
  return count;
}

static const c_runner_stats stats = {sizeof(c_runner_stats), timers_unavailable};
#endif

static void report(rh_error_sink* err, const char* message) {
  if (err != NULL) {
    const rh_str type = LIT("CRunnerError");
    const rh_str text = {message, strlen(message)};
    err->set(err, type, text);
  }
}

static rh_runner* c_create(rh_str options_json, rh_error_sink* err) {
  /* No options: anything but an empty object is refused. */
  if (options_json.size > 0 && !(options_json.size == 2 && memcmp(options_json.data, "{}", 2) == 0)) {
    report(err, "the c runner takes no options");
    return NULL;
  }
  runner* r = calloc(1, sizeof(runner));
  if (r == NULL) {
    report(err, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&r->mutex, NULL);
  pthread_cond_init(&r->changed, NULL);
  return (rh_runner*)r;
}

static int32_t c_start(rh_runner* handle, rh_error_sink* err) {
  runner* r = (runner*)handle;
  pthread_mutex_lock(&r->mutex);
  const int again = r->started;
  r->started = 1;
  pthread_mutex_unlock(&r->mutex);
  if (again) {
    report(err, "the c runner is already started");
    return RH_ERROR;
  }
  return RH_OK;
}

static void* run_item(void* arg) {
  item* work = arg;
  runner* r = work->owner;
  work->fn(work->arg);
  free(work);
  pthread_mutex_lock(&r->mutex);
  if (--r->in_flight == 0) pthread_cond_broadcast(&r->changed);
  pthread_mutex_unlock(&r->mutex);
  return NULL;
}

static int32_t c_submit(rh_runner* handle, rh_work_fn fn, void* arg, rh_error_sink* err) {
  runner* r = (runner*)handle;
  pthread_mutex_lock(&r->mutex);
  if (!r->started || r->stopping) {
    pthread_mutex_unlock(&r->mutex);
    report(err, r->started ? "the c runner is shut down" : "the c runner is not started");
    return RH_ERROR;
  }
  ++r->in_flight;
  pthread_mutex_unlock(&r->mutex);
  item* work = malloc(sizeof(item));
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int failed = work == NULL;
  if (!failed) {
    work->owner = r;
    work->fn = fn;
    work->arg = arg;
    failed = pthread_create(&thread, &attr, run_item, work) != 0;
  }
  pthread_attr_destroy(&attr);
  if (failed) {
    free(work);
    pthread_mutex_lock(&r->mutex);
    if (--r->in_flight == 0) pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);
    report(err, "the c runner could not start a thread");
    return RH_ERROR;
  }
  return RH_OK;
}

static void c_shutdown(rh_runner* handle) {
  runner* r = (runner*)handle;
  pthread_mutex_lock(&r->mutex);
  r->stopping = 1;
  while (r->in_flight > 0) pthread_cond_wait(&r->changed, &r->mutex);
  pthread_mutex_unlock(&r->mutex);
}

static void c_destroy(rh_runner* handle) {
  runner* r = (runner*)handle;
  pthread_cond_destroy(&r->changed);
  pthread_mutex_destroy(&r->mutex);
  free(r);
}

static rh_event* c_event_create(rh_runner* handle) {
  event* e = calloc(1, sizeof(event));
  if (e != NULL) e->owner = (runner*)handle;
  return (rh_event*)e;
}

#ifndef RH_TEST_WITHOUT_EVENT_SET
static void c_event_set(rh_runner* handle, rh_event* ev) {
  runner* r = (runner*)handle;
  pthread_mutex_lock(&r->mutex);
  ((event*)ev)->set = 1;
  pthread_cond_broadcast(&r->changed);
  pthread_mutex_unlock(&r->mutex);
}
#endif

static void on_deadline(void* arg) {
  deadline_wake* wake = arg;
  runner* r = wake->owner;
  pthread_mutex_lock(&r->mutex);
  wake->timed_out = 1;
  pthread_cond_broadcast(&r->changed);
  pthread_mutex_unlock(&r->mutex);
}

static int32_t c_event_wait(rh_runner* handle, rh_event* ev, rh_time_ns deadline, uint32_t flags) {
  runner* r = (runner*)handle;
  event* e = (event*)ev;
  (void)flags; /* a thread per item: nothing else could run on this thread anyway */
  deadline_wake* wake = NULL;
  uint64_t timer = 0;
  if (deadline != RH_DEADLINE_NONE) {
    wake = malloc(sizeof(deadline_wake));
    if (wake == NULL) return RH_TIMEOUT;
    wake->owner = r;
    wake->timed_out = 0;
    timer = host->timer_schedule(deadline, on_deadline, wake);
    if (timer == 0) {
      pthread_mutex_lock(&stats_mutex);
      ++timers_unavailable_count;
      pthread_mutex_unlock(&stats_mutex);
      free(wake);
      return RH_TIMEOUT;
    }
  }
  pthread_mutex_lock(&r->mutex);
  while (!e->set && (wake == NULL || !wake->timed_out)) pthread_cond_wait(&r->changed, &r->mutex);
  const int set = e->set;
  pthread_mutex_unlock(&r->mutex);
  if (wake != NULL) {
    /* Outside our lock: a firing timer takes it. One that could not be cancelled is firing
     * or has fired: wait until it is done with the wake. */
    const int cancelled = host->timer_cancel(timer);
    pthread_mutex_lock(&r->mutex);
    while (!cancelled && !wake->timed_out) pthread_cond_wait(&r->changed, &r->mutex);
    pthread_mutex_unlock(&r->mutex);
    free(wake);
  }
  return set ? RH_OK : RH_TIMEOUT;
}

static void c_event_destroy(rh_runner* handle, rh_event* ev) {
  (void)handle;
  free(ev);
}

static void c_yield(rh_runner* handle) { (void)handle; }

static const rh_runner_api table = {
#ifdef RH_TEST_TABLE_ABI_1_1
    offsetof(rh_runner_api, set_host),
#else
    sizeof(rh_runner_api),
#endif
    c_create,
    c_start,
    c_submit,
    c_shutdown,
    c_destroy,
    NULL, /* concurrency */
    c_event_create,
#ifdef RH_TEST_WITHOUT_EVENT_SET
    NULL,
#else
    c_event_set,
#endif
    NULL, /* event_is_set */
    c_event_wait,
    c_event_destroy,
    c_yield,
#if RH_ABI_VERSION_MINOR >= 1
    NULL, /* inline_depth */
#endif
#if RH_ABI_VERSION_MINOR >= 2
    NULL, /* set_host */
#endif
};

#if RH_ABI_VERSION_MINOR >= 2
static const void* get_extension(rh_str id) {
  static const char name[] = "test.c_runner/1";
  if (id.size == sizeof(name) - 1 && memcmp(id.data, name, id.size) == 0) return &stats;
  return NULL;
}
#endif

static const rh_plugin_descriptor descriptor = {sizeof(rh_plugin_descriptor),
                                                RH_ABI_VERSION_MAJOR,
                                                RH_ABI_VERSION_MINOR,
                                                RH_PLUGIN_KIND_RUNNER,
                                                LIT("c"),
                                                LIT("1.0.0"),
                                                NULL,
                                                &table,
#if RH_ABI_VERSION_MINOR >= 2
                                                get_extension
#endif
};

RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {
  if (offer != NULL && offer->abi_major == RH_ABI_VERSION_MAJOR) host = offer->host;
  return &descriptor;
}
