// Fuzzes a config file (host/cli/run_config.*) as the host reads one, then what it does with
// an accepted config before any plugin code runs: print the params and runner options, and
// apply the "tasks" overrides to a registry holding the tasks of fixture_library().
// Every input must end in success or ConfigError / RegistryError with a one-line message.
#include "cli/run_config.hpp"
#include "engine/task_registry.hpp"
#include "fuzz_checks.hpp"

#include <runner_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using rh::fuzz::require;

std::int32_t never_called(void*, const rh_task_call*) { return RH_TASK_COMPLETED; }

rh_str text(std::string_view s) { return rh_str{s.data(), s.size()}; }

// Tasks the seed corpus's "tasks" sections name: one with an exponential backoff, so that an
// override of its retries lengthens the series.
const rh_task_library& fixture_library() {
  static const rh_task_def tasks[] = {
      {sizeof(rh_task_def), RH_TASK_KIND_TASK, text("add"), text(""),
       text(R"({"retries": 3, "retry_delay": {"exponential_backoff": 1}})"), never_called, nullptr, nullptr, 0, nullptr,
       nullptr, nullptr, nullptr},
      {sizeof(rh_task_def), RH_TASK_KIND_TASK, text("db"), text(""), text(R"({"tags": ["db"]})"), never_called, nullptr,
       nullptr, 0, nullptr, nullptr, nullptr, nullptr},
      {sizeof(rh_task_def), RH_TASK_KIND_FLOW, text("pipeline"), text(""), text(""), never_called, nullptr, nullptr, 0,
       nullptr, nullptr, nullptr, nullptr},
  };
  static const rh_task_library library{sizeof(rh_task_library), text("fixture"), text("1"), tasks,
                                       sizeof(tasks) / sizeof(tasks[0])};
  return library;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  rh::host::RunConfig config;
  try {
    config = rh::host::parse_run_config_text(input, "fuzz.json", "/srv/jobs");
  } catch (const rh::host::ConfigError& e) {
    rh::fuzz::require_one_line(e.what());
    return 0;
  }
  require(config.params.is_object(), "params is an object");
  require(config.waiter.ttl_seconds > 0 && config.waiter.ttl_seconds <= rh::host::kMaxDurationSeconds,
          "waiter.ttl_seconds is within the maximum");
  require(config.waiter.max_entries >= 1 && config.cache_max_entries >= 1, "bounds are >= 1");
  // run_command passes the params as text; a RunnerInstance passes its options as text.
  (void)config.params.dump();
  (void)config.runner.options.dump();

  rh::host::TaskRegistry registry;
  registry.add_library(fixture_library(), "fixture.so");
  try {
    registry.apply_overrides(config.task_overrides, config.source);
  } catch (const rh::host::RegistryError& e) {
    rh::fuzz::require_one_line(e.what());
    return 0;
  }
  for (const rh::host::TaskDef* def : registry.tasks()) rh::fuzz::require_bounded(def->options);
  for (const rh::host::TaskDef* def : registry.flows()) rh::fuzz::require_bounded(def->options);
  return 0;
}
