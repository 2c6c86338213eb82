#include "runtime/runner_link.hpp"

#include <runner_host/abi_text.hpp>

namespace rh::host {
namespace {

thread_local TimerService* tl_legacy_timers = nullptr;

// Marks the calls into an old runner with its session's timers, for the process-level timer
// functions it may call back. Out-of-line accessors: a call may suspend on one thread and
// return on another (oneTBB), and the slot must be this thread's.
__attribute__((noinline)) TimerService* load_legacy_timers() noexcept { return tl_legacy_timers; }
__attribute__((noinline)) void store_legacy_timers(TimerService* timers) noexcept { tl_legacy_timers = timers; }

using LegacyCall = LegacyTimerScope;

std::uint32_t read_inline_depth(const rh_runner_api* api, rh_runner* runner) {
  if (!RH_HAS_FIELD(api, rh_runner_api, inline_depth) || api->inline_depth == nullptr) return 0;
  return api->inline_depth(runner);
}

}  // namespace

TimerService* legacy_runner_timers() noexcept { return load_legacy_timers(); }

LegacyTimerScope::LegacyTimerScope(TimerService* timers) noexcept : active_(timers != nullptr) {
  if (active_) {
    saved_ = load_legacy_timers();
    store_legacy_timers(timers);
  }
}

LegacyTimerScope::~LegacyTimerScope() {
  if (active_) store_legacy_timers(saved_);
}

bool has_set_host(const rh_runner_api* api) noexcept {
  return RH_HAS_FIELD(api, rh_runner_api, set_host) && api->set_host != nullptr;
}

RunnerLink::RunnerLink(const rh_runner_api* api, rh_runner* runner, std::string name, TimerService* legacy_timers,
                       const rh_remote_attempts* remote)
    : api_(api),
      runner_(runner),
      name_(std::move(name)),
      inline_depth_(read_inline_depth(api, runner)),
      legacy_timers_(has_set_host(api) ? nullptr : legacy_timers),
      remote_(remote) {}

std::uint32_t RunnerLink::concurrency() const {
  if (api_->concurrency == nullptr) return 0;
  const LegacyCall call(legacy_timers_);
  return api_->concurrency(runner_);
}

void RunnerLink::submit(rh_work_fn fn, void* arg) const {
  ErrorCapture error;
  std::int32_t status;
  {
    const LegacyCall call(legacy_timers_);
    status = api_->submit(runner_, fn, arg, &error.sink);
  }
  if (status != RH_OK) throw RunnerRefused("runner '" + name_ + "' refused work: " + error.message_or_type());
}

rh_event* RunnerLink::make_token() const {
  const LegacyCall call(legacy_timers_);
  return api_->event_create(runner_);
}

void RunnerLink::set(rh_event* token) const {
  const LegacyCall call(legacy_timers_);
  api_->event_set(runner_, token);
}

void RunnerLink::destroy(rh_event* token) const {
  const LegacyCall call(legacy_timers_);
  api_->event_destroy(runner_, token);
}

bool RunnerLink::wait(rh_event* token, std::int64_t deadline, std::uint32_t flags) const {
  const LegacyCall call(legacy_timers_);
  return api_->event_wait(runner_, token, deadline, flags) == RH_OK;
}

void RunnerLink::yield() const {
  const LegacyCall call(legacy_timers_);
  api_->yield(runner_);
}

std::int32_t RunnerLink::execute_elsewhere(const rh_remote_attempt& attempt) const {
  return remote_->execute(runner_, &attempt);
}

}  // namespace rh::host
