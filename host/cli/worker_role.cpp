#include "cli/worker_role.hpp"

#include "plugins/plugin_loader.hpp"

#include <runner_host/abi.h>
#include <runner_host/abi_text.hpp>

#include <stdexcept>

namespace rh::host {

std::optional<int> serve_if_worker(const WorkerRoleRequest& request) {
  // Loading the runner once more later (the session's load) finds it loaded already.
  PluginLoader loader(request.allow_untrusted_plugins);
  const LoadedPlugin plugin = loader.load_runner(locate_runner(request.runner, request.runner_dir));
  const auto* role = static_cast<const rh_worker_role*>(plugin.extension(RH_EXT_WORKER_ROLE));
  if (role == nullptr || role->struct_size < sizeof(rh_worker_role) || role->take_role == nullptr) return std::nullopt;
  const std::string options = (request.options.is_null() ? nlohmann::json::object() : request.options).dump();
  ErrorCapture error;
  std::int32_t exit_code = 0;
  const std::int32_t answer = role->take_role(to_rh_str(options), &exit_code, &error.sink);
  if (answer == RH_ROLE_COORDINATOR) return std::nullopt;
  if (answer == RH_ROLE_SERVED) return exit_code;
  throw std::runtime_error("runner '" + request.runner + "': " + error.message_or_type());
}

}  // namespace rh::host
