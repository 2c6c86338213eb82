#include "cli/run_command.hpp"

#include "cli/exit_codes.hpp"
#include "cli/logging.hpp"
#include "cli/report.hpp"
#include "cli/signal_watcher.hpp"
#include "events/jsonl_sink.hpp"
#include "session/session.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

namespace rh::host {
namespace {

std::string names_of(const std::vector<const TaskDef*>& defs) {
  std::string list;
  for (const TaskDef* def : defs) list += (list.empty() ? "" : ", ") + def->name;
  return list.empty() ? "none" : list;
}

// The flow or task to run, or an error message.
const TaskDef* pick_target(const TaskRegistry& registry, const RunConfig& config, std::string* error) {
  if (config.task) {
    const TaskDef* def = registry.find(*config.task);
    if (def == nullptr || def->is_flow) {
      *error = "unknown task '" + *config.task + "'" + (def != nullptr ? " (it is a flow; use --flow)" : "") +
               " (tasks: " + names_of(registry.tasks()) + ")";
      return nullptr;
    }
    return def;
  }
  const auto flows = registry.flows();
  if (config.flow) {
    const TaskDef* def = registry.find(*config.flow);
    if (def == nullptr || !def->is_flow) {
      *error = "unknown flow '" + *config.flow + "'" + (def != nullptr ? " (it is a task; use --task)" : "") +
               " (flows: " + names_of(flows) + ")";
      return nullptr;
    }
    return def;
  }
  if (flows.size() == 1) return flows.front();
  *error =
      flows.empty()
          ? "the loaded libraries define no flow; run one task with --task (tasks: " + names_of(registry.tasks()) + ")"
          : "the loaded libraries define several flows (" + names_of(flows) + "); choose one with --flow";
  return nullptr;
}

bool every_run_completed(const RunScope& scope) {
  if (const RunRef& flow = scope.flow_run(); flow && !is_completed(flow->state())) return false;
  for (const RunRef& run : scope.runs()) {
    if (!is_completed(run->state())) return false;
  }
  return true;
}

// Whether a report can be written there; checked before running so a typo costs nothing.
bool report_path_writable(const std::string& path) {
  const std::string probe = path + ".tmp";
  std::ofstream file(probe, std::ios::trunc);
  if (!file) return false;
  file.close();
  std::remove(probe.c_str());
  return true;
}

void print_outcome(std::ostream& out, std::ostream& err, const RunScope& scope, const TaskDef& target,
                   const std::string& log_format) {
  if (!target.is_flow) {
    const std::vector<RunRef> runs = scope.runs();
    if (runs.empty()) return;
    const Run& run = *runs.front();
    if (is_completed(run.state())) {
      out << (run.result().empty() ? std::string("null") : run.result()) << '\n';
    } else {
      const RunError* error = run.error();
      write_notice(
          err, log_format,
          "task run '" + run.name() + "' ended " + std::string(state_name(run.state())) + ": " +
              (error != nullptr ? error->type + ": " + error->message : std::string(run.message(run.current()))));
    }
    if (runs.size() > 1) print_summary(out, scope);
    return;
  }
  print_summary(out, scope);
  const Run& flow = *scope.flow_run();
  out << "flow " << target.name << " (" << flow.name() << ") " << state_name(flow.state());
  if (is_completed(flow.state())) {
    out << ": " << (flow.result().empty() ? std::string("null") : flow.result());
  } else if (const RunError* error = flow.error()) {
    out << ": " << error->type << ": " << error->message;
  }
  out << '\n';
}

}  // namespace

int run_command(const RunConfig& config, const std::filesystem::path& exe_dir, std::ostream& out, std::ostream& err) {
  auto usage_error = [&](const std::string& message) {
    err << "runner-host: " << message << '\n';
    return kExitUsage;
  };
  try {
    configure_logging(config.log_level, config.log_format);
  } catch (const LoggingError& e) {
    return usage_error(config.source == "command line" ? e.what() : config.source + ": log: " + e.what());
  }
  if (config.plugins.empty()) {
    return usage_error("no task library given (use --plugin FILE, or \"plugins\" in a config file)");
  }
  if (config.flow && config.task) return usage_error("--flow and --task cannot be combined: choose one");

  SessionOptions options;
  options.runner_dir = exe_dir;
  options.engine.concurrency_limits = config.concurrency_limits;
  options.engine.cache_max_entries = config.cache_max_entries;
  options.waiter = config.waiter;
  Session session(options);
  try {
    for (const std::string& path : config.plugins) session.load_library(path);
    session.apply_task_overrides(config.task_overrides, config.source);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }

  std::string target_error;
  const TaskDef* target = pick_target(session.registry(), config, &target_error);
  if (target == nullptr) return usage_error(target_error);
  if (config.report && !report_path_writable(*config.report)) {
    return usage_error("cannot write the report '" + *config.report + "'");
  }

  try {
    session.start_runner(config.runner.name, config.runner.options);
  } catch (const std::exception& e) {
    const std::string where = config.source == "command line" ? std::string() : config.source + ": ";
    return usage_error(where + e.what());
  }

  std::unique_ptr<JsonlEventSink> events;
  if (config.events) {
    try {
      events = std::make_unique<JsonlEventSink>(session.events(), *config.events);
    } catch (const std::exception& e) {
      return usage_error(e.what());
    }
  }

  std::unique_ptr<RunScope> scope;
  bool interrupted = false;
  {
    SignalWatcher signals([&session] { session.interrupt(); });
    const std::string params = config.params.empty() ? std::string() : config.params.dump();
    const std::uint32_t workers = session.engine().runner().concurrency();  // 0: the runner does not say
    spdlog::debug("running {} '{}' on runner '{}'{}", target->is_flow ? "flow" : "task", target->name,
                  session.runner_name(), workers == 0 ? std::string() : " (" + std::to_string(workers) + " workers)");
    scope = session.run(*target, params);
    session.shutdown();
    interrupted = session.interrupted() || signals.fired();
  }
  events.reset();

  print_outcome(out, err, *scope, *target, config.log_format);
  if (config.report) {
    try {
      write_report_file(*config.report, *scope, session.runner_name(), interrupted);
    } catch (const std::exception& e) {
      err << "runner-host: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  if (interrupted) return kExitInterrupted;
  return every_run_completed(*scope) ? kExitOk : kExitRunFailed;
}

}  // namespace rh::host
