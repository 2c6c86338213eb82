#include "cli/run_command.hpp"

#include "base/format.hpp"
#include "base/output_files.hpp"
#include "cli/exit_codes.hpp"
#include "cli/exit_guard.hpp"
#include "cli/logging.hpp"
#include "cli/progress_line.hpp"
#include "cli/run_outputs.hpp"
#include "cli/signal_watcher.hpp"
#include "cli/state_colors.hpp"
#include "cli/store_commands.hpp"
#include "cli/worker_role.hpp"
#include "engine/execution_context.hpp"
#include "engine/resume_set.hpp"
#include "events/jsonl_sink.hpp"
#include "session/session.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

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

// The host gives up on attempts that will not stop. Where a forced end happens (a second
// interrupt on the signal thread, exit() on a task's thread) it writes the outputs itself
// and ends the process there; threads still executing tasks are not waited for.
[[noreturn]] void end_process_now(RunOutputs& outputs, bool interrupted, int status) {
  if (outputs.claim()) status = outputs.write(interrupted, status);
  std::fflush(nullptr);
  spdlog::default_logger()->flush();
  _exit(status);
}

// How long after the grace period the host's own thread gets to write the outputs.
constexpr std::chrono::seconds kHostThreadLeeway{1};

std::string seconds_text(double seconds) { return format_seconds(seconds) + " s"; }

// After the runs ended: attempts the engine took over (a timeout, the grace period) whose
// code has not returned yet. Waits for them up to the grace period, or until an interrupt;
// returns how many still execute.
std::int64_t wait_for_abandoned_attempts(Engine& engine, double grace_seconds, const SignalWatcher& signals) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_seconds);
  // Polling, on the main thread only and only in this rare case: it is not a worker.
  while (engine.abandoned_attempts_executing() > 0 && !signals.fired() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return engine.abandoned_attempts_executing();
}

std::string abandoned_names(const RunScope& scope) {
  std::string names;
  std::size_t listed = 0;
  for (const RunRef& run : scope.runs()) {
    if (run->attempt().abandoned_executing.load(std::memory_order_relaxed) == 0) continue;
    if (++listed > 5) {
      names += ", ...";
      break;
    }
    names += (names.empty() ? "'" : ", '") + run->name() + "' (" + std::string(state_name(run->state())) + ")";
  }
  return names;
}

// Runs the target from start to outputs, with the interrupt, grace-period and exit() paths.
int run_to_the_end(Session& session, const TaskDef& target, const RunConfig& config, JsonlEventSink* events,
                   std::shared_ptr<ResumeSet> resume, ProgressLine* progress, std::ostream& out, std::ostream& err) {
  Engine& engine = session.engine();
  RunOutputs outputs(config, out, err);
  outputs.set_store(session.store());
  outputs.set_progress(progress);
  std::unique_ptr<RunScope> scope = session.open_scope();
  scope->set_provenance(RunProvenance{config.command_line, session.runner_name()});
  scope->set_resume(std::move(resume));
  try {
    outputs.bind(*scope, target, session.runner_name(), events, session.events());
  } catch (const OutputFileError& e) {
    err << "runner-host: " << e.what() << '\n';
    return kExitUsage;
  }
  const std::string grace = seconds_text(config.grace_seconds);

  InterruptHandlers handlers;
  handlers.grace =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(config.grace_seconds));
  handlers.on_interrupt = [&session](int) { session.interrupt(); };
  handlers.on_grace_over = [&engine, &outputs, grace] {
    const std::size_t ended = engine.abandon_unfinished(
        StateId::Cancelled, "The run did not stop within the " + grace + " grace period after the interrupt.");
    if (ended > 0) spdlog::warn("{} run(s) did not stop within the {} grace period; abandoned", ended, grace);
    // Every run is terminal now, so the host's thread writes the outputs at once, unless it is
    // itself held by task code that does not stop (the sequential runner runs tasks there;
    // a flow pinned to a blocked worker): then they are written from here.
    const auto until = std::chrono::steady_clock::now() + kHostThreadLeeway;
    while (!outputs.claimed() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (outputs.claimed()) return;
    static constexpr char message[] = "runner-host: task code that does not stop holds the host; exiting now\n";
    (void)!::write(STDERR_FILENO, message, sizeof message - 1);
    end_process_now(outputs, true, kExitInterrupted);
  };
  handlers.on_second_interrupt = [&engine, &outputs](int) {
    static constexpr char message[] = "runner-host: second interrupt, exiting now\n";
    (void)!::write(STDERR_FILENO, message, sizeof message - 1);
    engine.abandon_unfinished(StateId::Cancelled, "The host was interrupted twice and abandoned the run.");
    end_process_now(outputs, true, kExitInterrupted);
  };
  SignalWatcher signals(std::move(handlers));

  const ExitGuard exit_guard([&engine, &outputs, &err](int status) {
    const ExecutionContext context = current_context();
    Run* run = context.attempt != nullptr ? context.attempt->run : nullptr;
    const std::string who = run != nullptr ? "task run '" + run->name() + "'" : std::string("code of a task library");
    outputs.stop_progress();
    err << "runner-host: " << who << " called exit(" << status
        << ") while runs were in progress; the host stops (--runner process isolates tasks)\n";
    engine.interrupt("stopping");
    if (run != nullptr) {
      engine.abandon_run(*run, StateId::Crashed,
                         "The task called exit(" + std::to_string(status) + "), which ends the host.");
    }
    engine.abandon_unfinished(StateId::Cancelled, "The host stopped: " + who + " called exit().");
    end_process_now(outputs, false, kExitRunFailed);
  });

  const std::string params = config.params.empty() ? std::string() : config.params.dump();
  const std::uint32_t workers = engine.runner().concurrency();  // 0: the runner does not say
  spdlog::debug("running {} '{}' on runner '{}'{}", target.is_flow ? "flow" : "task", target.name,
                session.runner_name(), workers == 0 ? std::string() : " (" + std::to_string(workers) + " workers)");
  if (progress != nullptr) progress->start(session.events());
  struct StopProgress {  // on every way out: the line must not outlive the session's event bus
    RunOutputs& outputs;
    ~StopProgress() { outputs.stop_progress(); }
  } stop_progress{outputs};
  session.start_root(*scope, target, params);
  session.wait(*scope);
  outputs.stop_progress();

  const std::int64_t executing = wait_for_abandoned_attempts(engine, config.grace_seconds, signals);
  if (executing > 0) {
    err << "runner-host: not waiting for " << executing
        << " attempt(s) still executing after their run ended: " << abandoned_names(*scope)
        << "; they are abandoned at exit\n";
  } else {
    session.shutdown();
  }
  const bool interrupted = session.interrupted() || signals.fired();
  if (!outputs.claim()) {
    for (;;) ::pause();  // a forced end is writing them and ends the process
  }
  int status = interrupted ? kExitInterrupted : (outputs.every_run_completed() ? kExitOk : kExitRunFailed);
  status = outputs.write(interrupted, status);
  if (executing > 0) end_process_now(outputs, interrupted, status);  // the runner cannot be shut down
  return status;
}

// --resume: the flow run to rerun, from the store. Sets the target and the parameters the
// flow run had, and returns what its completed task runs left. Throws StoreError.
std::shared_ptr<ResumeSet> prepare_resume(Store& store, RunConfig& config) {
  const FlowRunSummary source = store.find_flow_run(*config.resume);
  if (!config.flow && !config.task) {
    (source.is_flow ? config.flow : config.task) = source.flow;
  } else if ((config.flow ? *config.flow : *config.task) != source.flow) {
    throw StoreError("flow run " + source.id + " ran '" + source.flow + "', not '" +
                     (config.flow ? *config.flow : *config.task) + "': drop --flow/--task to resume it");
  }
  const nlohmann::json params = nlohmann::json::parse(source.params.empty() ? "{}" : source.params, nullptr, false);
  if (!config.params.empty() && config.params != params) {
    spdlog::warn("--resume reruns flow run {} with its own parameters; the ones given are ignored", source.id);
  }
  config.params = params.is_discarded() ? nlohmann::json::object() : params;
  auto resume = std::make_shared<ResumeSet>(source.id);
  for (TaskRunRecord& run : store.task_runs_of(source.id)) {
    if (is_completed(run.state) && run.result_persisted) resume->add(run.task, run.params, std::move(run.result));
  }
  spdlog::info("resuming flow run {} ({}): {} completed task run(s) will not run again", source.id, source.flow,
               resume->size());
  return resume;
}

}  // namespace

int run_command(const RunConfig& given, const std::filesystem::path& exe_dir, std::ostream& out, std::ostream& err) {
  RunConfig config = given;  // --resume fills in the target and the parameters
  auto usage_error = [&](const std::string& message) {
    err << "runner-host: " << message << '\n';
    return kExitUsage;
  };
  try {
    configure_logging(config.log_level, config.log_format);
  } catch (const LoggingError& e) {
    return usage_error(config.source == "command line" ? e.what() : config.source + ": log: " + e.what());
  }
  // A worker of its runner (an MPI rank other than 0) serves the host of the run and is done.
  try {
    const std::optional<int> served = serve_if_worker(
        WorkerRoleRequest{config.runner.name, config.runner.options, exe_dir, config.allow_untrusted_plugins});
    if (served) return *served;
  } catch (const std::exception& e) {
    const std::string where = config.source == "command line" ? std::string() : config.source + ": ";
    return usage_error(where + e.what());
  }
  // Set up now, while no other thread logs; drawn once the runs start.
  std::shared_ptr<ProgressLine> progress;
  if (progress_wanted(config.no_progress, config.log_format)) {
    progress = std::make_shared<ProgressLine>(stderr, terminal_colors(STDERR_FILENO));
    ProgressLine::print_logs_above(progress);
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
  options.allow_untrusted_plugins = config.allow_untrusted_plugins;
  options.engine.no_cache = config.no_cache;
  options.engine.refresh_cache = config.refresh_cache;
  std::unique_ptr<Session> owned;
  std::shared_ptr<ResumeSet> resume;
  try {
    if (config.store_enabled) {
      options.store = StoreOptions{store_path_of(config)};
      options.store->max_bytes = config.store_max_bytes;
      if (config.store_lock_lease_seconds > 0) {
        options.store->lock_lease = std::chrono::seconds(config.store_lock_lease_seconds);
      }
    }
    owned = std::make_unique<Session>(options);
    if (config.resume) resume = prepare_resume(*owned->store(), config);
  } catch (const StoreError& e) {
    return usage_error(e.what());
  }
  Session& session = *owned;
  try {
    for (const std::string& path : config.plugins) {
      const auto pin = config.plugin_sha256.find(path);
      session.load_library(path, pin == config.plugin_sha256.end() ? std::string() : pin->second);
    }
    session.apply_task_overrides(config.task_overrides, config.source);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }

  std::string target_error;
  const TaskDef* target = pick_target(session.registry(), config, &target_error);
  if (target == nullptr) return usage_error(target_error);
  try {
    if (config.report) check_output_path(*config.report, "the report");
    if (config.trace) check_output_path(*config.trace, "the trace");
    if (config.html) check_output_path(*config.html, "the HTML report");
  } catch (const OutputFileError& e) {
    return usage_error(e.what());
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
  return run_to_the_end(session, *target, config, events.get(), std::move(resume), progress.get(), out, err);
}

}  // namespace rh::host
