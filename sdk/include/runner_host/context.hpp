// What a running task or flow sees: its run's identity, sleeping and cancellation through
// the active runner, logging, and submitting further task runs.
#pragma once

#include <runner_host/detail/host.hpp>
#include <runner_host/detail/status.hpp>
#include <runner_host/future.hpp>
#include <runner_host/json.hpp>
#include <runner_host/log_level.hpp>
#include <runner_host/transaction.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rh {

// A list parameter that flow.map() passes whole to every run instead of mapping over it.
inline json unmapped(json value) { return json{{"$rh_unmapped", std::move(value)}}; }

class TaskContext {
 public:
  // The host creates contexts; task code receives one by reference.
  explicit TaskContext(const rh_task_call& call) noexcept : call_(&call) {}
  TaskContext(const TaskContext&) = delete;
  TaskContext& operator=(const TaskContext&) = delete;

  std::uint64_t run_id() const noexcept { return call_->run_id; }
  std::uint64_t flow_run_id() const noexcept { return call_->flow_run_id; }
  std::string_view task_name() const noexcept { return to_string_view(call_->task_name); }
  std::string_view run_name() const noexcept { return to_string_view(call_->run_name); }
  // The attempt number, from 1.
  std::uint32_t run_count() const noexcept { return call_->run_count; }
  rh_context* handle() const noexcept { return call_->ctx; }

  // Sleeps through the active runner (a fiber is suspended, a thread pool worker is freed).
  // Throws TimeoutError at the attempt's deadline and CancelledError on cancellation.
  template <class Rep, class Period>
  void sleep(std::chrono::duration<Rep, Period> duration) const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
    detail::throw_if_interrupted(detail::host().ctx_sleep(call_->ctx, ns < 0 ? 0 : ns));
  }
  void sleep_seconds(double seconds) const { sleep(std::chrono::duration<double>(seconds < 0 ? 0.0 : seconds)); }

  // True once the attempt should stop: it was cancelled or passed its timeout. CPU-bound
  // code polls this.
  bool cancelled() const { return detail::host().ctx_status(call_->ctx) != RH_OK; }

  // Lets other runs on this worker proceed.
  void yield() const { detail::host().ctx_yield(call_->ctx); }

  void log(std::string_view message) const { log(LogLevel::info, message); }
  void log(LogLevel level, std::string_view message) const {
    detail::host().ctx_log(call_->ctx, static_cast<std::uint32_t>(level), to_rh_str(message));
  }

  // Creates a run of `task`. Futures inside params (or in options.wait_for) are waited for
  // before it starts. Null params mean {}. Throws UsageError for an unknown task or bad
  // parameters, CancelledError once the host was interrupted.
  Future submit(std::string_view task, const json& params = json(), const SubmitOptions& options = {}) const {
    if (!params.is_null() && !params.is_object()) {
      throw UsageError("parameters of '" + std::string(task) + "' must be a JSON object");
    }
    const std::string text = params.is_null() || params.empty() ? std::string() : params.dump();
    std::vector<rh_dependency> deps;
    deps.reserve(options.wait_for.size());
    for (const Dependency& d : options.wait_for) {
      deps.push_back(
          rh_dependency{sizeof(rh_dependency), d.allow_failure ? RH_DEP_ALLOW_FAILURE : 0u, d.future.handle()});
    }
    rh_submit_request request{sizeof(rh_submit_request), to_rh_str(task), to_rh_str(text), deps.data(), deps.size()};
    rh_run* run = nullptr;
    ErrorCapture error;
    const int32_t status = detail::host().submit(call_->ctx, &request, &run, &error.sink);
    if (status == RH_CANCELLED) throw CancelledError(error.message);
    if (status != RH_OK) throw UsageError(error.message);
    return Future(run);
  }

  // Begins a transaction (runner_host/transaction.hpp): runs submitted while it is the
  // innermost open one join it. An empty key: no record of its own, only its runs'.
  Transaction transaction(std::string_view key, const TransactionOptions& options = {}) const {
    return Transaction(call_->ctx, key, options);
  }

  // One run per element of the list-valued parameters; other values (and rh::unmapped
  // lists) go to every run. Futures come back in input order.
  std::vector<Future> map(std::string_view task, const json& params, const SubmitOptions& options = {}) const {
    if (!params.is_object()) throw UsageError("map: parameters of '" + std::string(task) + "' must be an object");
    std::size_t count = 0;
    std::string first_key;
    for (auto it = params.begin(); it != params.end(); ++it) {
      if (!it->is_array()) continue;
      if (first_key.empty()) {
        first_key = it.key();
        count = it->size();
      } else if (it->size() != count) {
        throw UsageError("map: parameters of '" + std::string(task) + "' have different lengths: '" + first_key +
                         "' has " + std::to_string(count) + ", '" + it.key() + "' has " + std::to_string(it->size()));
      }
    }
    if (first_key.empty()) {
      throw UsageError("map: no parameter of '" + std::string(task) + "' is a list to map over");
    }
    std::vector<Future> futures;
    futures.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      json element = json::object();
      for (auto it = params.begin(); it != params.end(); ++it) {
        if (it->is_array()) {
          element[it.key()] = (*it)[i];
        } else if (it->is_object() && it->size() == 1 && it->contains("$rh_unmapped")) {
          element[it.key()] = it->at("$rh_unmapped");
        } else {
          element[it.key()] = *it;
        }
      }
      futures.push_back(submit(task, element, options));
    }
    return futures;
  }

 protected:
  const rh_task_call* call_;
};

// A flow body's context: everything a task has; flows are where runs usually get submitted.
class FlowContext : public TaskContext {
 public:
  using TaskContext::TaskContext;
};

}  // namespace rh
