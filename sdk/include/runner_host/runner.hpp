// Writing a runner plugin: derive from rh::Runner, implement the work queue and the
// scheduling services, and export it with RH_RUNNER_PLUGIN. The macro turns the class into
// the C table of abi.h and keeps C++ exceptions on this side of the boundary.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace rh {

// Raised by a runner's constructor for bad options; the message names the option.
class RunnerOptionError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Reads a runner's options object, refusing unknown keys and wrong types by name.
class RunnerOptions {
 public:
  explicit RunnerOptions(json options) : options_(std::move(options)) {
    if (options_.is_null()) options_ = json::object();
    if (!options_.is_object()) throw RunnerOptionError("runner options must be a JSON object");
  }

  // A positive integer option; `fallback` when absent.
  std::uint32_t positive_int(const std::string& key, std::uint32_t fallback) {
    seen_.push_back(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (!it->is_number_integer() || it->get<long long>() <= 0 || it->get<long long>() > 1 << 20) {
      throw RunnerOptionError("option '" + key + "' must be a positive integer, got " + it->dump());
    }
    return static_cast<std::uint32_t>(it->get<long long>());
  }

  // An integer option >= 0 (0 often meaning "no limit"); `fallback` when absent.
  std::uint64_t non_negative_int(const std::string& key, std::uint64_t fallback) {
    seen_.push_back(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (!it->is_number_integer() || it->get<long long>() < 0) {
      throw RunnerOptionError("option '" + key + "' must be an integer of 0 or more, got " + it->dump());
    }
    return it->get<std::uint64_t>();
  }

  // A number option >= 0 (seconds, say); `fallback` when absent.
  double non_negative_number(const std::string& key, double fallback) {
    seen_.push_back(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e9) {
      throw RunnerOptionError("option '" + key + "' must be a number of 0 or more, got " + it->dump());
    }
    return it->get<double>();
  }

  // A true/false option; `fallback` when absent.
  bool boolean(const std::string& key, bool fallback) {
    seen_.push_back(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (!it->is_boolean()) throw RunnerOptionError("option '" + key + "' must be true or false, got " + it->dump());
    return it->get<bool>();
  }

  // A string option; `fallback` when absent.
  std::string string(const std::string& key, const std::string& fallback) {
    seen_.push_back(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (!it->is_string()) throw RunnerOptionError("option '" + key + "' must be a string, got " + it->dump());
    return it->get<std::string>();
  }

  // Call after reading every option: anything not read is an unknown key.
  void reject_unknown() const {
    for (auto it = options_.begin(); it != options_.end(); ++it) {
      bool known = false;
      for (const auto& key : seen_) known = known || key == it.key();
      if (!known) {
        std::string list;
        for (const auto& key : seen_) list += (list.empty() ? "" : ", ") + key;
        throw RunnerOptionError("unknown option '" + it.key() + "'" +
                                (list.empty() ? std::string(" (this runner takes none)") : " (known: " + list + ")"));
      }
    }
  }

 private:
  json options_;
  std::vector<std::string> seen_;
};

// Hardware threads, at least 1.
inline std::uint32_t hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1u : n;
}

// A set-once event that threads block on until a deadline: the blocking half of every
// runner's events (a plain thread that cannot suspend, a sleep that must not run other
// work). Construct it with std::condition_variable (the default) for OS threads, or with a
// fiber library's condition variable for fibers. The flag is read without the lock.
template <class ConditionVariable = std::condition_variable>
class DeadlineEvent {
 public:
  // Sets it and wakes every waiter, now and later.
  void set() {
    set_then([] {});
  }
  // Sets it, runs `under_lock()` while still holding the event's lock (e.g. to take a list
  // of suspended waiters that if_unset() added), then wakes the blocked threads.
  template <class Fn>
  void set_then(Fn&& under_lock) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      set_.store(true, std::memory_order_release);
      under_lock();
    }
    cv_.notify_all();
  }
  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  // Runs `under_lock()` under the event's lock unless it is set; true when it ran. What it
  // registers is then seen by set_then(), never missed.
  template <class Fn>
  bool if_unset(Fn&& under_lock) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (is_set()) return false;
    under_lock();
    return true;
  }
  // Runs fn() under the event's lock.
  template <class Fn>
  void locked(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    fn();
  }

  // Blocks until set (true) or the deadline on CLOCK_MONOTONIC passes (false).
  bool wait(rh_time_ns deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto ready = [this] { return is_set(); };
    if (deadline == RH_DEADLINE_NONE) {
      cv_.wait(lock, ready);
      return true;
    }
    const auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
    return cv_.wait_until(lock, until, ready);
  }

 private:
  std::mutex mutex_;
  ConditionVariable cv_;
  std::atomic<bool> set_{false};
};

namespace detail {
struct RunnerAccess;
}

class Runner {
 public:
  virtual ~Runner() = default;
  // Starts workers; the calling thread is the runner's home thread. Throws on failure.
  virtual void start() = 0;
  // Runs fn(arg) once, soon; throws std::logic_error before start or after shutdown.
  virtual void submit(rh_work_fn fn, void* arg) = 0;
  // Refuses new work, then waits until every submitted item has returned.
  virtual void shutdown() = 0;
  virtual std::uint32_t concurrency() const = 0;

  // Set-once waitables (see rh_runner_api): create, set, query, wait, destroy.
  virtual rh_event* event_create() = 0;
  virtual void event_set(rh_event* event) = 0;
  virtual bool event_is_set(rh_event* event) = 0;
  // true once set, false at the deadline.
  virtual bool event_wait(rh_event* event, rh_time_ns deadline, std::uint32_t flags) = 0;
  virtual void event_destroy(rh_event* event) = 0;
  virtual void yield() = 0;
  // How many runs deep the engine may run a waited-for, not yet started run in place of
  // waiting for it (rh_runner_api::inline_depth). 0, the default, means never.
  virtual std::uint32_t inline_depth() const { return 0; }

 protected:
  // The host's services for this instance: the session's timers and logging. Usable from
  // start() on. On a host older than ABI 1.2 they go through the process-level functions.
  static rh_time_ns now_ns() { return detail::host().now_ns(); }
  std::uint64_t schedule_timer(rh_time_ns deadline, rh_timer_callback fn, void* arg) const {
    return host_ != nullptr ? host_->timer_schedule(host_, deadline, fn, arg)
                            : detail::host().timer_schedule(deadline, fn, arg);
  }
  bool cancel_timer(std::uint64_t id) const {
    return host_ != nullptr ? host_->timer_cancel(host_, id) : detail::host().timer_cancel(id);
  }
  void log(std::uint32_t level, std::string_view message) const {
    if (host_ != nullptr) {
      host_->log(host_, level, to_rh_str(message));
    } else {
      detail::host().log(level, to_rh_str("runner"), to_rh_str(message));
    }
  }

 private:
  friend struct detail::RunnerAccess;
  const rh_runner_host* host_ = nullptr;
};

namespace detail {

struct RunnerAccess {
  static void set_host(Runner& runner, const rh_runner_host* host) { runner.host_ = host; }
};

inline Runner* as_runner(rh_runner* r) { return reinterpret_cast<Runner*>(r); }

// Builds the C table for a Runner subclass R constructible from its options (a json object).
template <class R>
const rh_runner_api* runner_table() {
  static const rh_runner_api table = {
      sizeof(rh_runner_api),
      /*create*/
      [](rh_str options, rh_error_sink* err) -> rh_runner* {
        try {
          if (host_slot() == nullptr) throw std::runtime_error(host_refusal());
          const std::string_view text = to_string_view(options);
          json parsed = text.empty() ? json::object() : json::parse(text);
          Runner* runner = new R(std::move(parsed));
          return reinterpret_cast<rh_runner*>(runner);
        } catch (...) {
          report_current_exception(err);
          return nullptr;
        }
      },
      /*start*/
      [](rh_runner* r, rh_error_sink* err) -> int32_t {
        try {
          as_runner(r)->start();
          return RH_OK;
        } catch (...) {
          report_current_exception(err);
          return RH_ERROR;
        }
      },
      /*submit*/
      [](rh_runner* r, rh_work_fn fn, void* arg, rh_error_sink* err) -> int32_t {
        try {
          as_runner(r)->submit(fn, arg);
          return RH_OK;
        } catch (...) {
          report_current_exception(err);
          return RH_ERROR;
        }
      },
      /*shutdown*/ [](rh_runner* r) { as_runner(r)->shutdown(); },
      /*destroy*/ [](rh_runner* r) { delete as_runner(r); },
      /*concurrency*/ [](rh_runner* r) -> uint32_t { return as_runner(r)->concurrency(); },
      /*event_create*/ [](rh_runner* r) -> rh_event* { return as_runner(r)->event_create(); },
      /*event_set*/ [](rh_runner* r, rh_event* e) { as_runner(r)->event_set(e); },
      /*event_is_set*/ [](rh_runner* r, rh_event* e) -> bool { return as_runner(r)->event_is_set(e); },
      /*event_wait*/
      [](rh_runner* r, rh_event* e, rh_time_ns deadline, uint32_t flags) -> int32_t {
        return as_runner(r)->event_wait(e, deadline, flags) ? RH_OK : RH_TIMEOUT;
      },
      /*event_destroy*/ [](rh_runner* r, rh_event* e) { as_runner(r)->event_destroy(e); },
      /*yield*/ [](rh_runner* r) { as_runner(r)->yield(); },
      /*inline_depth*/ [](rh_runner* r) -> uint32_t { return as_runner(r)->inline_depth(); },
      /*set_host*/
      [](rh_runner* r, const rh_runner_host* host) {
        // A host table too small for the functions this SDK calls is not used.
        if (host != nullptr && RH_HAS_FIELD(host, rh_runner_host, get_extension)) {
          RunnerAccess::set_host(*as_runner(r), host);
        }
      },
  };
  return &table;
}

inline const rh_plugin_descriptor* runner_entry(const rh_host_offer* offer, const char* name, const char* version,
                                                const rh_runner_api* table,
                                                const void* (*get_extension)(rh_str id) = nullptr) noexcept {
  accept_host(offer);
  static rh_plugin_descriptor descriptor{};
  descriptor = rh_plugin_descriptor{sizeof(rh_plugin_descriptor),
                                    RH_ABI_VERSION_MAJOR,
                                    RH_ABI_VERSION_MINOR,
                                    RH_PLUGIN_KIND_RUNNER,
                                    to_rh_str(name),
                                    to_rh_str(version),
                                    nullptr,
                                    table,
                                    get_extension};
  return &descriptor;
}

}  // namespace detail
}  // namespace rh

// Exports a runner plugin. NAME is what --runner selects; CLASS derives from rh::Runner
// and is constructible from its options (rh::json).
#define RH_RUNNER_PLUGIN(NAME, VERSION, CLASS)                                                    \
  RH_EXTERN_C RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) { \
    return ::rh::detail::runner_entry(offer, NAME, VERSION, ::rh::detail::runner_table<CLASS>()); \
  }

// The same for a runner that offers extensions (rh_plugin_descriptor.get_extension):
// GET_EXTENSION is a `const void* (rh_str id)` returning the table for an id, or nullptr.
#define RH_RUNNER_PLUGIN_WITH_EXTENSIONS(NAME, VERSION, CLASS, GET_EXTENSION)                                    \
  RH_EXTERN_C RH_EXPORT const rh_plugin_descriptor* rh_plugin_entry(const rh_host_offer* offer) {                \
    return ::rh::detail::runner_entry(offer, NAME, VERSION, ::rh::detail::runner_table<CLASS>(), GET_EXTENSION); \
  }
