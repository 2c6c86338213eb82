// Task library for the process runner's tests (tests/process): tasks that die every way a
// worker can (signals, exit, an outside SIGKILL, running out of memory, a frame of garbage on
// the worker's socket), that ignore or honour their deadline, and that use the SDK from a
// worker (logging, printing, nested runs, waiting, the waiter). Hooks run in the host: they
// write marker files named in the run's parameters.
#include <runner_host/sdk.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using rh::json;

namespace {

// The worker's socket to the host (the process runner puts it there).
constexpr int kWorkerSocket = 3;

void block_for(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// Hooks get the run's parameters: {"marker": path} says where to note that they ran.
void mark(const rh::RunInfo& run, const char* what) {
  if (run.params.contains("marker"))
    write_file(run.params.at("marker").get<std::string>() + "." + what, run.state.name);
}

json echo(const json& p) { return p; }
json pid(const json&) { return static_cast<long>(getpid()); }

json segfault(const json&) {
  std::raise(SIGSEGV);
  return nullptr;
}

json abort_task(const json&) { std::abort(); }

json exit_task(const json& p) { std::exit(p.value("status", 3)); }

// Writes its pid where the test can find it, then waits to be killed from outside.
json wait_to_be_killed(const json& p) {
  write_file(p.at("pid_file").get<std::string>(), std::to_string(getpid()));
  block_for(p.value("seconds", 60.0));
  return "not killed";
}

// Allocates and touches `mb` MiB.
json hog(const json& p) {
  const long mb = p.value("mb", 1024L);
  std::vector<char*> blocks;
  for (long i = 0; i < mb; ++i) {
    char* block = new char[1 << 20];
    std::memset(block, 1, 1 << 20);
    blocks.push_back(block);
  }
  for (char* block : blocks) delete[] block;
  return mb;
}

// Ignores its deadline and cancellation (a C loop).
json stuck(const json& p) {
  block_for(p.value("seconds", 60.0));
  return "too late";
}

// Honours its deadline: polls ctx.cancelled().
json cooperative(rh::TaskContext& ctx, const json& p) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(p.value("seconds", 60.0));
  while (std::chrono::steady_clock::now() < until) {
    if (ctx.cancelled()) throw rh::CancelledError("stopped when asked");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return "ran to the end";
}

json sleeper(rh::TaskContext& ctx, const json& p) {
  ctx.sleep_seconds(p.value("seconds", 60.0));
  return "slept";
}

json prints(rh::TaskContext& ctx, const json& p) {
  std::printf("to stdout %s\n", p.value("tag", std::string("x")).c_str());
  std::fprintf(stderr, "to stderr %s\n", p.value("tag", std::string("x")).c_str());
  ctx.log("through ctx.log " + p.value("tag", std::string("x")));
  return "printed";
}

json nest(rh::TaskContext& ctx, const json& p) {
  const int depth = p.value("depth", 0);
  if (depth <= 0) return 0;
  return ctx.submit("nest", {{"depth", depth - 1}}).result().get<int>() + 1;
}

json fib(rh::TaskContext& ctx, const json& p) {
  const int n = p.at("n").get<int>();
  if (n < 2) return n;
  rh::Future a = ctx.submit("fib", {{"n", n - 1}});
  rh::Future b = ctx.submit("fib", {{"n", n - 2}});
  return a.result().get<long>() + b.result().get<long>();
}

json squares(rh::TaskContext& ctx, const json& p) {
  std::vector<int> xs;
  for (int i = 0; i < p.value("count", 10); ++i) xs.push_back(i);
  std::vector<rh::Future> futures = ctx.map("square", {{"x", xs}});
  long first_done = -1;
  for (const rh::Future& f : rh::as_completed(futures)) {
    if (first_done < 0) first_done = f.result().get<long>();
  }
  return {{"gathered", rh::gather(futures)}, {"as_completed_gave", first_done >= 0}};
}

json square(const json& p) { return p.at("x").get<int>() * p.at("x").get<int>(); }

// Waits on a child through the session's TaskRunWaiter, by id.
json uses_waiter(rh::TaskContext& ctx, const json&) {
  rh::Future child = ctx.submit("echo", {{"v", 7}});
  auto state = rh::TaskRunWaiter::instance().wait_for_task_run(child.run_id(), std::chrono::seconds(30));
  return state ? json(state->name) : json("no state");
}

json fails_then_succeeds(rh::TaskContext& ctx, const json& p) {
  if (static_cast<int>(ctx.run_count()) <= p.value("failures", 1)) throw std::runtime_error("not yet");
  return ctx.run_count();
}

// Writes raw bytes to its worker's socket: a length prefix over every limit, or a frame of a
// type that does not exist. The host must kill the worker and stay up.
json garbage(const json& p) {
  const std::string kind = p.value("kind", std::string("oversized"));
  std::string bytes;
  if (kind == "oversized") {
    bytes = std::string("\xff\xff\xff\x7f", 4) + "xx";
  } else if (kind == "unknown_type") {
    bytes = std::string("\x01\x00\x00\x00\xee", 5);
  } else {  // a Done that ends in the middle of a field
    bytes = std::string("\x03\x00\x00\x00\x12\x01\x00", 7);
  }
  const ssize_t ignored = send(kWorkerSocket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  (void)ignored;
  block_for(30);
  return "the host did not notice";
}

json interrupted_flow(rh::FlowContext& flow, const json& p) {
  std::vector<rh::Future> runs;
  for (int i = 0; i < p.value("count", 2); ++i) runs.push_back(flow.submit(p.value("task", std::string("stuck"))));
  for (const rh::Future& f : runs) f.wait();
  return "flow done";
}

json every_tenth_segfaults(rh::FlowContext& flow, const json& p) {
  const int count = p.value("count", 1000);
  std::vector<rh::Future> runs;
  for (int i = 0; i < count; ++i) runs.push_back(flow.submit((i + 1) % 10 == 0 ? "segfault" : "echo", {{"i", i}}));
  int completed = 0;
  for (const rh::Future& f : runs) {
    f.wait();
    completed += f.state().name == "Completed" ? 1 : 0;
  }
  return completed;
}

}  // namespace

RH_TASK_LIBRARY(lib) {
  lib.name("process_tasks").version("1.0.0");
  lib.task("echo", echo);
  lib.task("pid", pid);
  lib.task("segfault", segfault)
      .on_crashed([](const rh::RunInfo& run) { mark(run, "on_crashed"); })
      .on_failure([](const rh::RunInfo& run) { mark(run, "on_failure"); });
  lib.task("abort", abort_task);
  lib.task("exit", exit_task);
  lib.task("wait_to_be_killed", wait_to_be_killed).on_crashed([](const rh::RunInfo& run) { mark(run, "on_crashed"); });
  lib.task("hog", hog);
  lib.task("stuck", stuck).timeout(0.3);
  lib.task("stuck_retried", stuck).timeout(0.3).retries(1);
  lib.task("stuck_untimed", stuck);
  lib.task("cooperative", cooperative).timeout(0.3);
  lib.task("sleeper", sleeper).timeout(0.3);
  lib.task("prints", prints);
  lib.task("nest", nest);
  lib.task("fib", fib);
  lib.task("squares", squares);
  lib.task("square", square);
  lib.task("uses_waiter", uses_waiter);
  lib.task("fails_then_succeeds", fails_then_succeeds).retries(2);
  lib.task("garbage", garbage);
  lib.task("cached", echo).cache_by_inputs();
  lib.task("tagged", pid).tags({"one_at_a_time"});
  lib.flow("interrupted_flow", interrupted_flow);
  lib.flow("every_tenth_segfaults", every_tenth_segfaults);
}
