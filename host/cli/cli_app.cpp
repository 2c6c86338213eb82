#include "cli/cli_app.hpp"

#include "base/format.hpp"

#include "cli/exit_codes.hpp"
#include "cli/list_command.hpp"
#include "cli/report_command.hpp"
#include "cli/run_command.hpp"
#include "cli/run_config.hpp"
#include "cli/store_commands.hpp"
#include "plugins/extensions.hpp"

#include <runner_host/abi.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rh::host {
namespace {

struct Flags {
  std::optional<std::string> config;
  std::vector<std::string> plugins;
  std::optional<std::string> flow;
  std::optional<std::string> task;
  std::optional<std::string> params;
  std::optional<std::string> runner;
  std::optional<int> max_workers;
  std::optional<std::string> report;
  std::optional<std::string> events;
  std::optional<std::string> trace;
  std::optional<std::string> html;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<double> grace_seconds;
  bool allow_untrusted_plugins = false;
  std::optional<std::string> store;
  bool no_store = false;
  bool no_cache = false;
  bool refresh_cache = false;
  std::optional<std::string> resume;
  bool no_progress = false;
};

// The command line as one line, each argument quoted for a POSIX shell where it needs it.
std::string command_line_of(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./=:,+@%") == std::string::npos;
    if (!line.empty()) line += ' ';
    if (plain) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

std::string version_text() {
  return "runner-host " + std::string(host_version()) + " (plugin ABI " + std::to_string(RH_ABI_VERSION_MAJOR) + "." +
         std::to_string(RH_ABI_VERSION_MINOR) + ")";
}

// --store / --no-store over the config's "store". Returns an error message, or nothing.
std::optional<std::string> merge_store_flags(const Flags& flags, RunConfig& config) {
  if (flags.store && flags.no_store) return std::string("--store and --no-store cannot be combined: choose one");
  if (flags.store) {
    config.store_enabled = true;
    config.store_path = flags.store;
  }
  if (flags.no_store) config.store_enabled = false;
  return std::nullopt;
}

// Flags win over the config file. Returns an error message, or nothing.
std::optional<std::string> merge_flags(const Flags& flags, RunConfig& config) {
  if (!flags.plugins.empty()) config.plugins = flags.plugins;
  if (flags.allow_untrusted_plugins) config.allow_untrusted_plugins = true;
  if (flags.flow) {
    config.flow = flags.flow;
    config.task.reset();
  }
  if (flags.task) {
    config.task = flags.task;
    if (!flags.flow) config.flow.reset();
  }
  if (flags.params) {
    try {
      config.params = parse_params_flag(*flags.params);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
  }
  if (flags.runner && *flags.runner != config.runner.name) {
    // Options in the file belong to the runner named there; a different runner starts clean.
    config.runner.name = *flags.runner;
    config.runner.options = nlohmann::json::object();
  }
  if (flags.max_workers) {
    if (*flags.max_workers <= 0) {
      return "--max-workers must be a positive integer, got " + std::to_string(*flags.max_workers);
    }
    config.runner.options["max_workers"] = *flags.max_workers;
  }
  if (flags.report) config.report = flags.report;
  if (flags.events) config.events = flags.events;
  if (flags.trace) config.trace = flags.trace;
  if (flags.html) config.html = flags.html;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (flags.log_format) config.log_format = *flags.log_format;
  if (auto problem = merge_store_flags(flags, config)) return problem;
  if (flags.no_cache && flags.refresh_cache) {
    return std::string("--no-cache and --refresh-cache cannot be combined: choose one");
  }
  config.no_cache = flags.no_cache;
  config.refresh_cache = flags.refresh_cache;
  config.no_progress = flags.no_progress;
  if (flags.resume) {
    if (!config.store_enabled) return std::string("--resume reads the store: it cannot be combined with --no-store");
    config.resume = flags.resume;
  }
  if (flags.grace_seconds) {
    if (!(*flags.grace_seconds >= 0) || *flags.grace_seconds > kMaxGraceSeconds) {
      return "--grace must be a number of seconds from 0 to 3600, got " + format_seconds(*flags.grace_seconds);
    }
    config.grace_seconds = *flags.grace_seconds;
  }
  return std::nullopt;
}

// Where --help sends the reader: the installed docs when runner-host runs from an installed
// tree (bin/ beside share/doc/runner-host/docs/, as the .deb lays it out), else the source tree's.
std::string docs_dir(const std::filesystem::path& exe_dir) {
  std::error_code ignored;
  const std::filesystem::path installed = exe_dir.parent_path() / "share" / "doc" / "runner-host" / "docs";
  if (std::filesystem::exists(installed / "cli.md", ignored)) {
    return std::filesystem::weakly_canonical(installed, ignored).string() + "/";
  }
  return "docs/";
}

}  // namespace

int cli_main(int argc, const char* const* argv, const std::filesystem::path& exe_dir, std::ostream& out,
             std::ostream& err) {
  CLI::App app{"runner-host: runs task libraries' flows and tasks on a pluggable runner.", "runner-host"};
  app.set_version_flag("--version", version_text());
  const std::string docs = docs_dir(exe_dir);
  app.footer(
      "Exit status: 0 every run completed, 1 some run did not complete, 2 usage/config/plugin error, "
      "130 interrupted.\nDocs: " +
      docs + "cli.md, " + docs + "config.md" + (docs == "docs/" ? " in the source tree" : ", man runner-host") + ".");

  Flags flags;
  app.add_option("-p,--plugin", flags.plugins, "Task library to load (repeatable)")->type_name("FILE");
  app.add_option("-c,--config", flags.config, "JSON config file (docs/config.md); flags override it")
      ->type_name("FILE");
  app.add_option("-f,--flow", flags.flow, "Flow to run (default: the libraries' only flow)")->type_name("NAME");
  app.add_option("-t,--task", flags.task, "Run one task instead of a flow")->type_name("NAME");
  app.add_option("--params", flags.params, "Parameters of the flow or task, a JSON object")->type_name("JSON");
  app.add_option("-r,--runner", flags.runner,
                 "Runner name (sequential, fiber, tbb) or plugin path (with a '/'); default tbb")
      ->type_name("NAME|FILE");
  app.add_flag("--allow-untrusted-plugins", flags.allow_untrusted_plugins,
               "Load plugin files others than their owner and root can write (docs/config.md)");
  app.add_option("-w,--max-workers", flags.max_workers, "Worker threads of the runner")->type_name("N");
  app.add_option("--report", flags.report, "Write a JSON report of every run")->type_name("FILE");
  app.add_option("--events", flags.events, "Append every state change as a JSON line")->type_name("FILE");
  app.add_option("--trace", flags.trace, "Write the runs as a Chrome trace (Perfetto, chrome://tracing)")
      ->type_name("FILE");
  app.add_option("--html", flags.html, "Write an HTML report of the runs that opens offline (docs/html-report.md)")
      ->type_name("FILE");
  app.add_option("--log-level", flags.log_level, "trace, debug, info (default), warn, error, critical, off")
      ->type_name("LEVEL");
  app.add_option("--log-format", flags.log_format, "text (default) or json")->type_name("FORMAT");
  app.add_flag("--no-progress", flags.no_progress,
               "No progress line on stderr (it is shown only on a terminal, with the text log format, outside CI)");
  app.add_option("--grace", flags.grace_seconds,
                 "Seconds to wait for runs asked to stop (interrupt, timeout) before abandoning them; default 2")
      ->type_name("SECONDS");

  app.add_option("--store", flags.store, "The store of run records and results (docs/store.md)")->type_name("FILE");
  app.add_flag("--no-store", flags.no_store, "Record nothing and reuse nothing from earlier invocations");
  app.add_flag("--no-cache", flags.no_cache, "Neither look up nor write cache entries");
  app.add_flag("--refresh-cache", flags.refresh_cache, "Run every caching task and replace its cache entry");
  app.add_option("--resume", flags.resume,
                 "Rerun a flow run (an id, a unique prefix, or 'last'); its completed task runs are not run again")
      ->type_name("ID");

  CLI::App* list = app.add_subcommand("list", "List the tasks and flows of task libraries, with their options");
  list->fallthrough();
  // Its own options, so that `list --help` shows them (the top-level ones work here too).
  list->add_option("-p,--plugin", flags.plugins, "Task library to list (repeatable)")->type_name("FILE");
  list->add_option("-c,--config", flags.config, "JSON config file: its plugins are listed")->type_name("FILE");
  list->add_option("-r,--runner", flags.runner, "Also say which file this runner name resolves to")
      ->type_name("NAME|FILE");
  list->add_flag("--allow-untrusted-plugins", flags.allow_untrusted_plugins,
                 "Load plugin files others than their owner and root can write");
  list->footer(
      "Exit status: 0 listed, 2 no library given, or a config or plugin error (nothing listed).\n"
      "Docs: " +
      docs + "cli.md (list).");
  CLI::App* runners = app.add_subcommand("runners", "List the runners found next to runner-host");

  // The store's subcommands (docs/store.md). --store, --config and --flow are the global
  // ones: they may come after the subcommand too.
  std::string output = "text";
  auto add_output = [&output](CLI::App* command) {
    command->add_option("--output", output, "text (default) or json")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
  };
  RunsQuery runs_query;
  CLI::App* runs = app.add_subcommand("runs", "List recent flow runs from the store (latest first)");
  runs->fallthrough();
  runs->add_option("-n,--limit", runs_query.limit, "How many (default 20)")->type_name("N")->check(CLI::PositiveNumber);
  runs->add_option("--state", runs_query.state, "Only flow runs that ended in this state (Running: never ended)")
      ->type_name("STATE");
  add_output(runs);
  ShowQuery show_query;
  CLI::App* show = app.add_subcommand("show", "Show one flow run from the store: its task runs, or all of it as JSON");
  show->fallthrough();
  show->add_option("id", show_query.ref, "A flow run id, a unique prefix of one, or 'last'")
      ->type_name("ID|last")
      ->required();
  show->add_flag("--all", show_query.all, "Every task run, not only those that did not complete (beyond 50)");
  add_output(show);
  ReportQuery report_query;
  CLI::App* report = app.add_subcommand("report", "Write the HTML report of a flow run from the store");
  report->fallthrough();
  report->add_option("id", report_query.ref, "A flow run id, a unique prefix of one, or 'last'")
      ->type_name("ID|last")
      ->required();
  report->add_option("--html", report_query.html, "The page to write (docs/html-report.md)")
      ->type_name("FILE")
      ->required();
  CLI::App* store = app.add_subcommand("store", "Inspect or prune the store");
  store->fallthrough();
  store->require_subcommand(1, 1);
  CLI::App* store_info = store->add_subcommand("info", "Path, size, schema version and counts of the store");
  store_info->fallthrough();
  add_output(store_info);
  std::string older_than;
  CLI::App* store_prune = store->add_subcommand(
      "prune", "Remove flow runs older than an age, keeping results that unexpired cache entries use");
  store_prune->fallthrough();
  store_prune->add_option("--older-than", older_than, "Age: 90s, 15m, 12h, 7d, 2w")->type_name("AGE")->required();
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e, out, err);
      return kExitOk;
    }
    err << "runner-host: " << e.what() << "\nRun 'runner-host --help' for usage.\n";
    return kExitUsage;
  }

  if (runners->parsed()) return runners_command(exe_dir, out);

  RunConfig config;
  if (flags.config) {
    try {
      config = load_run_config(*flags.config);
    } catch (const ConfigError& e) {
      err << "runner-host: config error: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  const bool reads_store = runs->parsed() || show->parsed() || report->parsed() || store->parsed();
  if (reads_store) {
    if (auto problem = merge_store_flags(flags, config)) {
      err << "runner-host: " << *problem << '\n';
      return kExitUsage;
    }
    runs_query.json = show_query.json = output == "json";
    if (runs->parsed()) {
      if (flags.flow) runs_query.flow = *flags.flow;
      return runs_command(config, runs_query, out, err);
    }
    if (show->parsed()) return show_command(config, show_query, out, err);
    if (report->parsed()) return report_command(config, report_query, out, err);
    if (store_info->parsed()) return store_info_command(config, output == "json", out, err);
    return store_prune_command(config, older_than, out, err);
  }
  if (list->parsed()) {
    if (!flags.plugins.empty()) config.plugins = flags.plugins;
    if (flags.allow_untrusted_plugins) config.allow_untrusted_plugins = true;
    if (flags.runner) config.runner.name = *flags.runner;
    return list_command(config, exe_dir, out, err);
  }
  if (auto problem = merge_flags(flags, config)) {
    err << "runner-host: " << *problem << '\n';
    return kExitUsage;
  }
  config.command_line = command_line_of(argc, argv);
  return run_command(config, exe_dir, out, err);
}

}  // namespace rh::host
