// rh::Future: a handle to a submitted task run, and the markers that make a future a
// dependency (wait_for, allow_failure) or a parameter of another run.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/detail/status.hpp>
#include <runner_host/errors.hpp>
#include <runner_host/json.hpp>
#include <runner_host/state.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

namespace rh {

class Future {
 public:
  Future() = default;
  // Adopts one reference to run (as returned by the host's submit).
  explicit Future(rh_run* run) noexcept : run_(run) {}
  Future(const Future& other) noexcept : run_(other.run_) {
    if (run_ != nullptr) detail::host().run_retain(run_);
  }
  Future(Future&& other) noexcept : run_(std::exchange(other.run_, nullptr)) {}
  Future& operator=(Future other) noexcept {
    std::swap(run_, other.run_);
    return *this;
  }
  ~Future() {
    if (run_ != nullptr) detail::host().run_release(run_);
  }

  bool valid() const noexcept { return run_ != nullptr; }
  rh_run* handle() const noexcept { return run_; }
  std::uint64_t run_id() const { return detail::host().run_id(checked()); }

  // Waits until the run is terminal. Returns false when the timeout passed first (the run
  // goes on). Throws CancelledError / TimeoutError when the calling attempt must stop.
  bool wait() const { return wait_until(RH_DEADLINE_NONE); }
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) const {
    return wait_until(detail::deadline_after(timeout));
  }

  bool done() const { return state().final; }

  // The run's current state (final once done()).
  State state() const {
    State state;
    auto read = [&](const rh_run_view& view) { state = detail::state_from_view(view); };
    detail::visit_run(checked(), read);
    return state;
  }

  // Waits, then returns the result; throws TaskRunError if the run did not complete.
  json result() const { return result_until(RH_DEADLINE_NONE); }
  // As result(), but throws TimeoutError when the run is not done within timeout.
  template <class Rep, class Period>
  json result(std::chrono::duration<Rep, Period> timeout) const {
    return result_until(detail::deadline_after(timeout));
  }

  // Calls fn(future) once the run is terminal: at once if it already is, else from the
  // thread that ends it. fn must be quick and must not block. Exceptions are logged.
  void add_done_callback(std::function<void(const Future&)> fn) const;

  friend bool operator==(const Future& a, const Future& b) { return a.run_ == b.run_; }
  friend bool operator!=(const Future& a, const Future& b) { return a.run_ != b.run_; }

 private:
  struct Callback;

  rh_run* checked() const {
    if (run_ == nullptr) throw std::logic_error("rh::Future is empty");
    return run_;
  }

  bool wait_until(rh_time_ns deadline) const {
    ErrorCapture error;
    const int32_t status = detail::host().run_wait(checked(), deadline, &error.sink);
    detail::throw_if_interrupted(status, &error);
    return status == RH_OK;
  }

  json result_until(rh_time_ns deadline) const {
    if (!wait_until(deadline)) {
      throw TimeoutError("task run " + std::to_string(run_id()) + " did not complete in time");
    }
    // The visitor runs inside the host: it only copies, and parsing happens after it returns.
    State state;
    std::string result_text;
    std::string error_type;
    std::string error_message;
    auto read = [&](const rh_run_view& view) {
      state = detail::state_from_view(view);
      if (state.is_completed()) {
        result_text.assign(to_string_view(view.result_json));
      } else {
        error_type.assign(to_string_view(view.error_type));
        error_message.assign(to_string_view(view.error_message));
      }
    };
    detail::visit_run(run_, read);
    if (!state.is_completed()) throw TaskRunError(std::move(state), std::move(error_type), std::move(error_message));
    return result_text.empty() ? json() : json::parse(result_text);
  }

  rh_run* run_ = nullptr;
};

struct Future::Callback {
  Future future;
  std::function<void(const Future&)> fn;
};

inline void Future::add_done_callback(std::function<void(const Future&)> fn) const {
  auto* payload = new Callback{*this, std::move(fn)};
  detail::host().run_on_done(
      checked(),
      [](void* ud, rh_run*) {
        std::unique_ptr<Callback> callback(static_cast<Callback*>(ud));
        try {
          callback->fn(callback->future);
        } catch (...) {
          ErrorCapture error;
          detail::report_current_exception(&error.sink);
          const std::string line = "done callback raised " + error.type + ": " + error.message;
          detail::host().log(RH_LOG_ERROR, to_rh_str("rh.sdk"), to_rh_str(line));
        }
      },
      payload);
}

// A future used as a parameter becomes {"$rh_future": id}; the host waits for the run and
// passes its result instead.
inline void to_json(json& j, const Future& future) { j = json{{"$rh_future", future.run_id()}}; }

// Lets a failed (or NotReady) upstream through: as a parameter the downstream sees
// {"error": {"type": ..., "message": ..., "state": ...}} instead of a result.
struct AllowFailure {
  Future future;
};
inline AllowFailure allow_failure(Future future) { return AllowFailure{std::move(future)}; }
inline void to_json(json& j, const AllowFailure& wrapped) {
  j = json{{"$rh_future", wrapped.future.run_id()}, {"allow_failure", true}};
}

// Extra, ordering-only dependencies of a submission.
struct Dependency {
  Dependency(Future f) : future(std::move(f)) {}  // NOLINT(google-explicit-constructor)
  Dependency(AllowFailure f) : future(std::move(f.future)), allow_failure(true) {}  // NOLINT
  Future future;
  bool allow_failure = false;
};

struct SubmitOptions {
  std::vector<Dependency> wait_for;
};

inline SubmitOptions wait_for(std::initializer_list<Dependency> dependencies) {
  return SubmitOptions{std::vector<Dependency>(dependencies)};
}
inline SubmitOptions wait_for(std::vector<Future> futures) {
  SubmitOptions options;
  for (auto& f : futures) options.wait_for.emplace_back(std::move(f));
  return options;
}

}  // namespace rh
