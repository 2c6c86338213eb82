#include "plugins/runner_instance.hpp"

namespace rh::host {
namespace {

struct Sink {
  rh_error_sink sink{sizeof(rh_error_sink), this, &Sink::set};
  std::string message;
  static void set(rh_error_sink* s, rh_str, rh_str m) {
    static_cast<Sink*>(s->host_data)->message = m.data == nullptr ? std::string() : std::string(m.data, m.size);
  }
};

}  // namespace

RunnerInstance::RunnerInstance(const LoadedPlugin& plugin, const nlohmann::json& options)
    : api_(plugin.descriptor->runner),
      name_(plugin.descriptor->name.data == nullptr
                ? plugin.path
                : std::string(plugin.descriptor->name.data, plugin.descriptor->name.size)) {
  const std::string text = options.is_null() ? std::string("{}") : options.dump();
  Sink error;
  runner_ = api_->create(rh_str{text.data(), text.size()}, &error.sink);
  if (runner_ == nullptr) throw PluginError("runner '" + name_ + "': " + error.message);
  scheduler_ = std::make_unique<Scheduler>(api_, runner_, name_);
}

RunnerInstance::~RunnerInstance() {
  if (runner_ == nullptr) return;
  shutdown();
  api_->destroy(runner_);
}

void RunnerInstance::start() {
  Sink error;
  if (api_->start(runner_, &error.sink) != RH_OK) {
    throw PluginError("runner '" + name_ + "' failed to start: " + error.message);
  }
  started_ = true;
}

void RunnerInstance::shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  api_->shutdown(runner_);
}

}  // namespace rh::host
