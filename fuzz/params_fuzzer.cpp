// Fuzzes --params (parse_params_flag, host/cli/run_config.*) and run name templates
// (host/engine/name_template.*) together, as a run's name is rendered from its params.
// Input: "<template>\n<params text>", split at the first newline (a template from JSON holds
// no raw newline). Every input must end in success, ConfigError (one line) or
// NameTemplateError; accepted params print and parse back to themselves.
#include "cli/run_config.hpp"
#include "engine/name_template.hpp"
#include "fuzz_checks.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view pattern = newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
  const std::string_view params_text = newline == std::string_view::npos ? input : input.substr(newline + 1);

  std::optional<nlohmann::json> params;
  try {
    params = rh::host::parse_params_flag(params_text);
  } catch (const rh::host::ConfigError& e) {
    rh::fuzz::require_one_line(e.what());
  }
  if (params) {
    rh::fuzz::require(params->is_object(), "--params is an object");
    rh::fuzz::require(nlohmann::json::parse(params->dump()) == *params, "params print and parse back unchanged",
                      params->dump());
  }

  try {
    const rh::host::NameTemplate name(std::string{pattern});
    if (!params) return 0;
    const std::string rendered = name.render(*params);
    for (const std::string& key : name.keys()) {
      rh::fuzz::require(params->contains(key), "a rendered template names only parameters the run has", key);
    }
    (void)rendered;
  } catch (const rh::host::NameTemplateError&) {
  }
  return 0;
}
