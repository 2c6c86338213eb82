// Declaring a task library: tasks, flows and their options, turned into the C tables the
// host reads. Use through RH_TASK_LIBRARY (see sdk.hpp).
#pragma once

#include <runner_host/cache.hpp>
#include <runner_host/context.hpp>
#include <runner_host/detail/host.hpp>
#include <runner_host/errors.hpp>
#include <runner_host/json.hpp>
#include <runner_host/run_info.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace rh {

// Delays factor * 2^i for retry i; expanded by the host with the task's final retry count.
struct ExponentialBackoff {
  double factor;
};
inline ExponentialBackoff exponential_backoff(double factor) { return ExponentialBackoff{factor}; }

using Hook = std::function<void(const RunInfo&)>;
using RetryCondition = std::function<bool(const RunInfo&)>;
// A task's own cache key from its context and resolved parameters; nullopt: do not cache
// this run.
using CacheKeyFn = std::function<std::optional<std::string>(const TaskContext&, const json&)>;

namespace detail {

using BodyFn = std::function<json(FlowContext&, const json&)>;

// Adapts the signatures task authors write to the one the library stores:
// (ctx, params), (params), (ctx) or (), returning anything convertible to json, or void.
template <class Fn>
BodyFn adapt_body(Fn fn) {
  return [fn = std::move(fn)](FlowContext& ctx, const json& params) -> json {
    auto call = [&]() -> decltype(auto) {
      if constexpr (std::is_invocable_v<Fn&, FlowContext&, const json&>)
        return fn(ctx, params);
      else if constexpr (std::is_invocable_v<Fn&, const json&>)
        return fn(params);
      else if constexpr (std::is_invocable_v<Fn&, FlowContext&>)
        return fn(ctx);
      else {
        static_assert(std::is_invocable_v<Fn&>,
                      "a task takes (rh::TaskContext&, const rh::json&), (const rh::json&), "
                      "(rh::TaskContext&) or ()");
        return fn();
      }
    };
    using Result = decltype(call());
    if constexpr (std::is_void_v<Result>) {
      call();
      return json();
    } else {
      return json(call());
    }
  };
}

struct HookEntry {
  std::uint32_t kind;
  std::string name;
  Hook fn;
};

struct TaskEntry {
  std::uint32_t kind = RH_TASK_KIND_TASK;
  std::string name;
  std::string description;
  json options = json::object();
  std::string options_text;
  BodyFn body;
  std::deque<HookEntry> hooks;
  RetryCondition retry_condition;
  CacheKeyFn cache_key_fn;
};

// Parameters as the task sees them. Most runs have none: they all share one empty object
// instead of allocating their own. The parser is called out of line, for the reason given
// at report_task_result.
__attribute__((noinline)) inline void parse_params_into(std::string_view text, json& storage) {
  storage = json::parse(text);
}
inline const json& parse_params(rh_str text, json& storage) {
  static const json empty = json::object();
  const std::string_view view = to_string_view(text);
  if (view.empty() || view == "{}") return empty;
  parse_params_into(view, storage);
  return storage;
}

// What call_task does before and after the body, out of line: nlohmann's parser and
// serializer keep buffers of hundreds of bytes on the stack, and inlined into call_task they
// would stay on the task's stack for as long as its body runs, sleeps included, on a fiber
// stack of a few pages.
__attribute__((noinline)) inline void report_task_result(const rh_task_call* call, const json& result) {
  const std::string text = result.dump();
  host_slot()->ctx_set_result(call->ctx, to_rh_str(text));
}

// Reports the exception being handled as the task's error (out of line and cold, as above).
__attribute__((noinline, cold)) inline int32_t report_task_error(const rh_task_call* call, int32_t code) noexcept {
  ErrorCapture error;
  report_current_exception(&error.sink);
  host_slot()->ctx_set_error(call->ctx, to_rh_str(error.type), to_rh_str(error.message));
  return code;
}

// The C entry for every task and flow: runs the body, reports the outcome, and never lets
// an exception cross into the host.
inline int32_t call_task(void* user_data, const rh_task_call* call) noexcept {
  const auto* entry = static_cast<const TaskEntry*>(user_data);
  const auto report = [call](int32_t code) { return report_task_error(call, code); };
  try {
    json storage;
    const json& params = parse_params(call->params_json, storage);
    FlowContext ctx(*call);
    const json result = entry->body(ctx, params);
    if (!result.is_null()) report_task_result(call, result);
    return RH_TASK_COMPLETED;
  } catch (const CancelledError&) {
    return report(RH_TASK_CANCELLED);
  } catch (const TimeoutError&) {
    return report(RH_TASK_TIMED_OUT);
  } catch (const std::exception&) {
    return report(RH_TASK_FAILED);
  } catch (...) {
    return report(RH_TASK_CRASHED);
  }
}

inline int32_t call_hook(void* user_data, const rh_run_view* view, rh_error_sink* err) noexcept {
  try {
    const RunInfo info(*view);
    (*static_cast<const Hook*>(user_data))(info);
    return RH_OK;
  } catch (...) {
    report_current_exception(err);
    return RH_ERROR;
  }
}

inline int32_t call_retry_condition(void* user_data, const rh_run_view* view, rh_error_sink* err) noexcept {
  try {
    const RunInfo info(*view);
    return (*static_cast<const RetryCondition*>(user_data))(info) ? 1 : 0;
  } catch (...) {
    report_current_exception(err);
    return -1;
  }
}

inline int32_t call_cache_key_fn(void* user_data, const rh_task_call* call, rh_text_sink* key,
                                 rh_error_sink* err) noexcept {
  try {
    json storage;
    const json& params = parse_params(call->params_json, storage);
    const TaskContext ctx(*call);
    const std::optional<std::string> text = (*static_cast<const CacheKeyFn*>(user_data))(ctx, params);
    if (!text) return 0;
    key->set(key, to_rh_str(*text));
    return 1;
  } catch (...) {
    report_current_exception(err);
    return -1;
  }
}

}  // namespace detail

// Sets the options of one task or flow; every setter returns *this to chain.
class TaskBuilder {
 public:
  explicit TaskBuilder(detail::TaskEntry& entry) : entry_(&entry) {}

  TaskBuilder& description(std::string text) {
    entry_->description = std::move(text);
    return *this;
  }
  // Extra attempts after a failure (exception, timeout, failed state).
  TaskBuilder& retries(int count) { return option("retries", count); }
  // Seconds before every retry.
  TaskBuilder& retry_delay(double seconds) { return option("retry_delay", seconds); }
  // Seconds before retry i; a list shorter than the retries repeats its last value.
  TaskBuilder& retry_delay(std::vector<double> seconds) { return option("retry_delay", std::move(seconds)); }
  TaskBuilder& retry_delay(std::initializer_list<double> seconds) { return retry_delay(std::vector<double>(seconds)); }
  TaskBuilder& retry_delay(ExponentialBackoff backoff) {
    return option("retry_delay", json{{"exponential_backoff", backoff.factor}});
  }
  // A delay d becomes a random value in [d, d * (1 + factor)].
  TaskBuilder& retry_jitter_factor(double factor) { return option("retry_jitter_factor", factor); }
  // Asked after a failed attempt while retries remain; false (or a throw) means no retry.
  TaskBuilder& retry_condition(RetryCondition condition) {
    entry_->retry_condition = std::move(condition);
    return *this;
  }
  // Per-attempt time limit.
  TaskBuilder& timeout(double seconds) { return option("timeout_seconds", seconds); }
  template <class Rep, class Period>
  TaskBuilder& timeout(std::chrono::duration<Rep, Period> limit) {
    return timeout(std::chrono::duration<double>(limit).count());
  }
  // Tags, each subject to the tag's concurrency limit from the config.
  TaskBuilder& tags(std::vector<std::string> names) { return option("tags", std::move(names)); }
  TaskBuilder& tags(std::initializer_list<std::string> names) { return tags(std::vector<std::string>(names)); }
  // Run name template, e.g. "add-{a}-{b}", rendered from the parameters once per run.
  TaskBuilder& task_run_name(std::string pattern) { return option("task_run_name", std::move(pattern)); }
  // Caches results by parameters: cache_policy(rh::cache::inputs()), and an expiration when
  // expiration_seconds > 0.
  TaskBuilder& cache_by_inputs(double expiration_seconds = 0) {
    cache_policy(cache::inputs());
    return expiration_seconds > 0 ? cache_expiration(expiration_seconds) : *this;
  }
  // What the cache key is made of (runner_host/cache.hpp). A later run with the same key
  // ends Cached with the stored result, in this invocation or a later one.
  TaskBuilder& cache_policy(const cache::Policy& policy) {
    json& cache = cache_option();
    cache.erase("exclude");
    cache.update(policy.to_option());
    return *this;
  }
  // The task's own key (nullopt: no caching for that run), used as it is.
  TaskBuilder& cache_key_fn(CacheKeyFn fn) {
    if (!fn) throw UsageError("task '" + entry_->name + "': cache_key_fn is empty");
    entry_->cache_key_fn = std::move(fn);
    return *this;
  }
  // Seconds a cached result stays valid; by default forever.
  TaskBuilder& cache_expiration(double seconds) {
    cache_option()["expiration_seconds"] = seconds;
    return *this;
  }
  template <class Rep, class Period>
  TaskBuilder& cache_expiration(std::chrono::duration<Rep, Period> valid_for) {
    return cache_expiration(std::chrono::duration<double>(valid_for).count());
  }
  // serializable: one run per key computes at a time (across processes sharing the store);
  // the others wait for its result and end Cached. Default read_committed.
  TaskBuilder& cache_isolation(Isolation isolation) {
    cache_option()["isolation"] = isolation == Isolation::serializable ? "serializable" : "read_committed";
    return *this;
  }
  // Runs even when a result is cached, and replaces it.
  TaskBuilder& refresh_cache(bool refresh = true) {
    cache_option()["refresh"] = refresh;
    return *this;
  }
  // Whether the result is kept in the store (default true). Without it a run can neither be
  // a cache hit later nor be skipped by --resume.
  TaskBuilder& persist_result(bool persist = true) { return option("persist_result", persist); }
  // The task's version, part of rh::cache::task_source() and of the run records.
  TaskBuilder& version(std::string text) { return option("version", std::move(text)); }

  // State hooks, run in registration order; a throwing hook is logged and changes nothing.
  TaskBuilder& on_running(Hook hook, std::string name = {}) {
    return add_hook(RH_HOOK_ON_RUNNING, "on_running", std::move(hook), std::move(name));
  }
  TaskBuilder& on_completion(Hook hook, std::string name = {}) {
    return add_hook(RH_HOOK_ON_COMPLETION, "on_completion", std::move(hook), std::move(name));
  }
  TaskBuilder& on_failure(Hook hook, std::string name = {}) {
    return add_hook(RH_HOOK_ON_FAILURE, "on_failure", std::move(hook), std::move(name));
  }
  TaskBuilder& on_crashed(Hook hook, std::string name = {}) {
    return add_hook(RH_HOOK_ON_CRASHED, "on_crashed", std::move(hook), std::move(name));
  }
  // A completed run of a transaction: its transaction committed (its result was persisted),
  // or rolled back (docs/transactions.md).
  TaskBuilder& on_commit(Hook hook, std::string name = {}) {
    return add_hook(RH_HOOK_ON_COMMIT, "on_commit", std::move(hook), std::move(name));
  }
  TaskBuilder& on_rollback(Hook hook, std::string name = {}) {
    return add_hook(RH_HOOK_ON_ROLLBACK, "on_rollback", std::move(hook), std::move(name));
  }

  // Any option by its JSON name (docs/options.md); validated by the host at load.
  TaskBuilder& option(const std::string& key, json value) {
    entry_->options[key] = std::move(value);
    return *this;
  }

 private:
  json& cache_option() {
    json& cache = entry_->options["cache"];
    if (!cache.is_object()) cache = json::object();
    return cache;
  }
  TaskBuilder& add_hook(std::uint32_t kind, const char* kind_name, Hook hook, std::string name) {
    if (!hook) throw UsageError("task '" + entry_->name + "': " + kind_name + " hook is empty");
    if (name.empty()) {
      std::size_t index = 1;
      for (const auto& h : entry_->hooks) index += h.kind == kind ? 1 : 0;
      name = entry_->name + "." + kind_name + "#" + std::to_string(index);
    }
    entry_->hooks.push_back(detail::HookEntry{kind, std::move(name), std::move(hook)});
    return *this;
  }

  detail::TaskEntry* entry_;
};

// What RH_TASK_LIBRARY's body fills in.
class Library {
 public:
  Library& name(std::string text) {
    name_ = std::move(text);
    return *this;
  }
  Library& version(std::string text) {
    version_ = std::move(text);
    return *this;
  }

  // Offers an extension under a versioned id ("vendor.name/1"), for hosts and other
  // plugins that look it up (rh_plugin_descriptor.get_extension). `table` must stay valid
  // until the process exits; its layout is whatever the id documents.
  Library& extension(std::string id, const void* table) {
    if (id.empty() || table == nullptr) throw UsageError("an extension needs an id and a table");
    extensions_.emplace_back(std::move(id), table);
    return *this;
  }
  // The table offered under `id`, or nullptr.
  const void* find_extension(std::string_view id) const {
    for (const auto& [name, table] : extensions_) {
      if (name == id) return table;
    }
    return nullptr;
  }

  template <class Fn>
  TaskBuilder task(std::string task_name, Fn fn) {
    return add(RH_TASK_KIND_TASK, std::move(task_name), detail::adapt_body(std::move(fn)));
  }
  template <class Fn>
  TaskBuilder flow(std::string flow_name, Fn fn) {
    return add(RH_TASK_KIND_FLOW, std::move(flow_name), detail::adapt_body(std::move(fn)));
  }

  // Freezes the declarations into the C tables. Called once by the entry point.
  const rh_task_library* finish() {
    defs_.clear();
    hook_spans_.clear();
    for (auto& entry : entries_) {
      entry.options_text = entry.options.dump();
      auto& span = hook_spans_.emplace_back();
      for (auto& hook : entry.hooks) {
        span.push_back(rh_hook{sizeof(rh_hook), hook.kind, to_rh_str(hook.name), &detail::call_hook, &hook.fn});
      }
    }
    std::size_t index = 0;
    for (auto& entry : entries_) {
      const auto& span = hook_spans_[index++];
      rh_task_def def{};
      def.struct_size = sizeof(rh_task_def);
      def.kind = entry.kind;
      def.name = to_rh_str(entry.name);
      def.description = to_rh_str(entry.description);
      def.options_json = to_rh_str(entry.options_text);
      def.run = &detail::call_task;
      def.user_data = &entry;
      def.hooks = span.data();
      def.hook_count = span.size();
      if (entry.retry_condition) {
        def.retry_condition = &detail::call_retry_condition;
        def.retry_condition_user_data = &entry.retry_condition;
      }
      if (entry.cache_key_fn) {
        def.cache_key_fn = &detail::call_cache_key_fn;
        def.cache_key_user_data = &entry.cache_key_fn;
      }
      defs_.push_back(def);
    }
    library_ =
        rh_task_library{sizeof(rh_task_library), to_rh_str(name_), to_rh_str(version_), defs_.data(), defs_.size()};
    return &library_;
  }

 private:
  TaskBuilder add(std::uint32_t kind, std::string task_name, detail::BodyFn body) {
    if (task_name.empty()) throw UsageError("a task or flow needs a non-empty name");
    detail::TaskEntry& entry = entries_.emplace_back();
    entry.kind = kind;
    entry.name = std::move(task_name);
    entry.body = std::move(body);
    return TaskBuilder(entry);
  }

  std::string name_ = "unnamed";
  std::string version_ = "0.0.0";
  std::deque<detail::TaskEntry> entries_;  // deque: builders and C tables point into it
  std::vector<rh_task_def> defs_;
  std::deque<std::vector<rh_hook>> hook_spans_;
  std::vector<std::pair<std::string, const void*>> extensions_;
  rh_task_library library_{};
};

namespace detail {

using RegisterFn = void (*)(Library&);

inline RegisterFn& register_slot() {
  static RegisterFn fn = nullptr;
  return fn;
}

// The plugin's one library, filled in by load_task_library.
inline Library& library_slot() {
  static Library library;
  return library;
}

// Set once registration succeeded: extensions are looked up only in a finished library.
inline bool& library_loaded() {
  static bool loaded = false;
  return loaded;
}

inline const rh_task_library* load_task_library(rh_error_sink* err) noexcept {
  try {
    if (host_slot() == nullptr) throw std::runtime_error(host_refusal());
    static const rh_task_library* table = [] {
      register_slot()(library_slot());
      const rh_task_library* finished = library_slot().finish();
      library_loaded() = true;
      return finished;
    }();
    return table;
  } catch (...) {
    report_current_exception(err);
    return nullptr;
  }
}

inline const void* library_extension(rh_str id) noexcept {
  return library_loaded() ? library_slot().find_extension(to_string_view(id)) : nullptr;
}

inline const rh_plugin_descriptor* task_library_entry(const rh_host_offer* offer, RegisterFn fn) noexcept {
  accept_host(offer);
  register_slot() = fn;
  static const rh_plugin_descriptor descriptor = {sizeof(rh_plugin_descriptor),
                                                  RH_ABI_VERSION_MAJOR,
                                                  RH_ABI_VERSION_MINOR,
                                                  RH_PLUGIN_KIND_TASK_LIBRARY,
                                                  rh_str{nullptr, 0},
                                                  rh_str{nullptr, 0},
                                                  &load_task_library,
                                                  nullptr,
                                                  &library_extension};
  return &descriptor;
}

}  // namespace detail
}  // namespace rh

// Declares a task library. The body receives `rh::Library& NAME` and registers tasks:
//   RH_TASK_LIBRARY(lib) { lib.name("demo"); lib.task("add", add); }
// It runs once, when the host loads the library; an exception refuses the library.
#define RH_TASK_LIBRARY(NAME)                                                                     \
  static void rh_register_task_library_(::rh::Library& NAME);                                     \
  RH_EXTERN_C RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) { \
    return ::rh::detail::task_library_entry(offer, &rh_register_task_library_);                   \
  }                                                                                               \
  static void rh_register_task_library_(::rh::Library& NAME)
