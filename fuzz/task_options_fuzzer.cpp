// Fuzzes the options a plugin declares for a task (host/engine/task_options.*): the JSON
// text as the registry parses it, then parse_task_options. Every input must end in success
// or JsonInputError / OptionError with a one-line message; accepted options set no delay or
// timeout beyond the maximum duration.
#include "base/json_input.hpp"
#include "engine/task_options.hpp"
#include "fuzz_checks.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  nlohmann::json options;
  try {
    options = rh::host::parse_json_input(input);
  } catch (const rh::host::JsonInputError& e) {
    rh::fuzz::require_one_line(e.what());
    return 0;
  }
  try {
    const rh::host::TaskOptions parsed = rh::host::parse_task_options(options, "fuzz_task");
    rh::fuzz::require_bounded(parsed);
    if (!parsed.run_name.empty()) {
      try {
        (void)parsed.run_name.render(options);
      } catch (const rh::host::NameTemplateError&) {
      }
    }
  } catch (const rh::host::OptionError& e) {
    rh::fuzz::require_one_line(e.what());
  }
  return 0;
}
