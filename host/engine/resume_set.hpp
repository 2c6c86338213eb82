// The completed task runs of an earlier flow run, for --resume: each run of the resumed
// flow run whose task and resolved parameters match one of them ends Cached with its stored
// result instead of running. Runs with the same task and parameters match in the order they
// completed before (their occurrence), each record at most once.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace rh::host {

class ResumeSet {
 public:
  explicit ResumeSet(std::string source_flow_run) : source_(std::move(source_flow_run)) {}

  // Before the flow run starts.
  void add(const std::string& task, const std::string& params_json, std::string result);
  // The next unused result for this task and parameters. Any thread.
  std::optional<std::string> take(const std::string& task, const std::string& params_json);

  // The id of the flow run being resumed.
  const std::string& source() const noexcept { return source_; }
  std::size_t size() const;

 private:
  // Task name and canonical parameter JSON, so key order and spacing do not matter.
  static std::string key(const std::string& task, const std::string& params_json);

  const std::string source_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<std::string>> results_;
  std::size_t size_ = 0;
};

}  // namespace rh::host
