#include "plugins/runner_instance.hpp"

#include "plugins/extensions.hpp"
#include "runtime/timer_service.hpp"

#include <runner_host/abi_text.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rh::host {

RunnerInstance::RunnerInstance(const LoadedPlugin& plugin, const nlohmann::json& options, TimerService& timers)
    : api_(plugin.descriptor->runner),
      name_(plugin.descriptor->name.data == nullptr ? plugin.path : to_string(plugin.descriptor->name)),
      timers_(timers),
      host_{sizeof(rh_runner_host), this, &schedule_timer, &cancel_timer, &log, &get_extension} {
  const std::string text = options.is_null() ? std::string("{}") : options.dump();
  ErrorCapture error;
  {
    const LegacyTimerScope call(legacy_timers());
    runner_ = api_->create(to_rh_str(text), &error.sink);
  }
  if (runner_ == nullptr) throw PluginError("runner '" + name_ + "': " + error.message);
  if (has_set_host(api_)) api_->set_host(runner_, &host_);
  const auto* remote = static_cast<const rh_remote_attempts*>(plugin.extension(RH_EXT_REMOTE_ATTEMPTS));
  if (remote != nullptr && RH_HAS_FIELD(remote, rh_remote_attempts, execute) && remote->execute != nullptr) {
    remote_ = remote;
  }
  link_ = std::make_unique<RunnerLink>(api_, runner_, name_, &timers_, remote_);
}

RunnerInstance::~RunnerInstance() {
  if (runner_ == nullptr) return;
  shutdown();
  const LegacyTimerScope call(legacy_timers());
  api_->destroy(runner_);
}

void RunnerInstance::offer_libraries(const std::vector<std::string>& files) {
  if (remote_ == nullptr || remote_->set_libraries == nullptr) return;
  std::vector<rh_str> paths;
  paths.reserve(files.size());
  for (const std::string& file : files) paths.push_back(to_rh_str(file));
  ErrorCapture error;
  if (remote_->set_libraries(runner_, paths.data(), paths.size(), &error.sink) != RH_OK) {
    throw PluginError("runner '" + name_ + "': " + error.message);
  }
}

void RunnerInstance::start() {
  ErrorCapture error;
  std::int32_t status;
  {
    const LegacyTimerScope call(legacy_timers());
    status = api_->start(runner_, &error.sink);
  }
  if (status != RH_OK) throw PluginError("runner '" + name_ + "' failed to start: " + error.message);
  started_ = true;
}

void RunnerInstance::shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  const LegacyTimerScope call(legacy_timers());
  api_->shutdown(runner_);
}

TimerService* RunnerInstance::legacy_timers() noexcept { return has_set_host(api_) ? nullptr : &timers_; }

std::uint64_t RunnerInstance::schedule_timer(const rh_runner_host* host, rh_time_ns deadline,
                                             rh_timer_callback callback, void* user_data) {
  return of(host).timers_.schedule(deadline, callback, user_data);
}

bool RunnerInstance::cancel_timer(const rh_runner_host* host, std::uint64_t timer_id) {
  return of(host).timers_.cancel(timer_id);
}

void RunnerInstance::log(const rh_runner_host* host, std::uint32_t level, rh_str message) {
  const auto lvl = static_cast<spdlog::level::level_enum>(std::min<std::uint32_t>(level, RH_LOG_CRITICAL));
  spdlog::log(lvl, "[runner {}] {}", of(host).name_, to_string_view(message));
}

const void* RunnerInstance::get_extension(const rh_runner_host*, rh_str id) {
  return host_extension(to_string_view(id));
}

}  // namespace rh::host
