// The engine as the benchmarks drive it: one host::Session on a real runner plugin, with
// the workload's tasks and flows declared in the benchmark binary itself.
#pragma once

#include "session/session.hpp"

#include <runner_host/sdk.hpp>

#include <functional>
#include <memory>
#include <string>

namespace rh::bench {

class BenchSession {
 public:
  BenchSession(std::string runner, nlohmann::json runner_options, host::SessionOptions options = {})
      : runner_(std::move(runner)), runner_options_(std::move(runner_options)), session_(std::move(options)) {}

  // Declare the workload here; the first run registers it and starts the runner.
  rh::Library& library() { return library_; }
  host::Session& session() { return session_; }

  // Registers the workload and starts the runner, once; run() does it when needed.
  void start() {
    if (session_.started()) return;
    session_.add_library(library_);
    session_.start_runner(std::string(RH_RUNNER_DIR) + "/librh_runner_" + runner_ + ".so", runner_options_);
  }

  // Runs a flow or task by name until every run it made is terminal.
  std::unique_ptr<host::RunScope> run(const std::string& name,
                                      const nlohmann::json& params = nlohmann::json::object()) {
    start();
    return session_.run(*session_.registry().find(name), params.empty() ? std::string() : params.dump());
  }

  // The same with the scope prepared by `configure` before the root run starts.
  std::unique_ptr<host::RunScope> run_with(const std::string& name, const nlohmann::json& params,
                                           const std::function<void(host::RunScope&)>& configure) {
    start();
    std::unique_ptr<host::RunScope> scope = session_.open_scope();
    configure(*scope);
    session_.start_root(*scope, *session_.registry().find(name), params.empty() ? std::string() : params.dump());
    session_.wait(*scope);
    return scope;
  }

 private:
  std::string runner_;
  nlohmann::json runner_options_;
  rh::Library library_;
  host::Session session_;
};

}  // namespace rh::bench
