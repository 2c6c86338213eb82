// Workload 7: cold start. The wall time of a whole `runner-host --plugin libnoop.so --task
// noop` process (spawn, load, run one no-op run, report, exit), per runner, next to
// /bin/true spawned the same way. stdout and stderr go to /dev/null; a non-zero exit
// status fails the benchmark.
#include "bench_support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rh::bench {
namespace {

// Spawns argv[0] with argv and waits; returns the exit status, or -1.
int spawn_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void process(benchmark::State& state, const std::string& key, const std::vector<std::string>& args) {
  baseline(
      state, key, 1.0, [&] { return spawn_and_wait(args); },
      [&](int status) {
        return status == 0 ? std::string() : args[0] + " exited with status " + std::to_string(status);
      },
      "process");
  if (key != "true" && baselines().count(key) != 0) compare(state, baselines()[key], "true");
}

void register_all() {
  timed_in_ms(
      benchmark::RegisterBenchmark("cold_start/raw:true", process, "true", std::vector<std::string>{"/bin/true"}));
  const std::vector<std::string> base = {RH_HOST_BINARY, "--plugin", RH_NOOP_PLUGIN, "--task", "noop"};
  timed_in_ms(benchmark::RegisterBenchmark("cold_start/host:default", process, "default", base));
  for (const std::string& runner : runners()) {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--runner", runner});
    timed_in_ms(benchmark::RegisterBenchmark(("cold_start/host:" + runner).c_str(), process, runner, args));
  }
}

}  // namespace
}  // namespace rh::bench

RH_BENCH_MAIN(rh::bench::register_all)
