// A task library that offers an extension ("test.doubler/1") through the SDK, for the host's
// lookup of plugin extensions (rh_plugin_descriptor.get_extension).
#include <runner_host/sdk.hpp>

namespace {

struct Doubler {
  std::uint32_t struct_size;
  int (*twice)(int);
};

const Doubler kDoubler{sizeof(Doubler), [](int x) { return 2 * x; }};

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.name("extension").version("1.0.0");
  lib.extension("test.doubler/1", &kDoubler);
  lib.task("host_name", []() -> rh::json {
    const auto* info = rh::host_extension<rh_host_info>(RH_EXT_HOST_INFO);
    if (info == nullptr) return nullptr;
    return std::string(rh::to_string_view(info->name)) + " " + std::string(rh::to_string_view(info->version));
  });
}
