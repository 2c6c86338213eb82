#include "engine/resume_set.hpp"

#include <nlohmann/json.hpp>

namespace rh::host {

std::string ResumeSet::key(const std::string& task, const std::string& params_json) {
  std::string canonical;
  try {
    canonical = params_json.empty() ? "{}" : nlohmann::json::parse(params_json).dump();
  } catch (const nlohmann::json::exception&) {
    canonical = params_json;  // compared as it is: it matches only the same text
  }
  return task + '\x1f' + canonical;
}

void ResumeSet::add(const std::string& task, const std::string& params_json, std::string result) {
  const std::string k = key(task, params_json);
  std::lock_guard<std::mutex> lock(mutex_);
  results_[k].push_back(std::move(result));
  ++size_;
}

std::optional<std::string> ResumeSet::take(const std::string& task, const std::string& params_json) {
  const std::string k = key(task, params_json);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = results_.find(k);
  if (found == results_.end() || found->second.empty()) return std::nullopt;
  std::string result = std::move(found->second.front());
  found->second.pop_front();
  --size_;
  return result;
}

std::size_t ResumeSet::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return size_;
}

}  // namespace rh::host
