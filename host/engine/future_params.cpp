#include "engine/future_params.hpp"

#include "engine/run.hpp"

#include <stdexcept>

namespace rh::host {
namespace {

using nlohmann::json;

constexpr const char* kMarker = "$rh_future";

bool is_marker(const json& value) { return value.is_object() && value.contains(kMarker); }

FutureRef parse_marker(const json& value) {
  const json& id = value.at(kMarker);
  if (!id.is_number_unsigned() && !id.is_number_integer()) {
    throw std::invalid_argument("a future marker must hold a run id, got " + value.dump());
  }
  const json allow = value.value("allow_failure", json(false));
  return FutureRef{id.get<std::uint64_t>(), allow.is_boolean() && allow.get<bool>()};
}

template <class Fn>
void visit_markers(json& value, Fn&& fn) {
  if (is_marker(value)) {
    fn(value);
  } else if (value.is_structured()) {
    for (auto& child : value) visit_markers(child, fn);
  }
}

json parse_object(const std::string& params) {
  json parsed = json::parse(params, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw std::invalid_argument("parameters are not valid JSON");
  return parsed;
}

}  // namespace

bool mentions_futures(const std::string& params) { return params.find("\"$rh_future\"") != std::string::npos; }

std::vector<FutureRef> find_futures(const std::string& params) {
  json parsed = parse_object(params);
  std::vector<FutureRef> refs;
  visit_markers(parsed, [&](json& marker) { refs.push_back(parse_marker(marker)); });
  return refs;
}

json resolve_futures(const std::string& params, const std::function<const Run*(std::uint64_t)>& lookup) {
  json parsed = parse_object(params);
  visit_markers(parsed, [&](json& marker) {
    const FutureRef ref = parse_marker(marker);
    const Run* upstream = lookup(ref.run_id);
    if (upstream == nullptr) throw std::invalid_argument("unknown upstream run " + std::to_string(ref.run_id));
    // Terminal runs never change again, so reading without the lock is safe.
    if (is_completed(upstream->state())) {
      const std::string& text = upstream->result();
      marker = text.empty() ? json() : json::parse(text);
      return;
    }
    json error = {{"state", std::string(state_name(upstream->state()))}};
    if (const RunError* e = upstream->error()) {
      error["type"] = e->type;
      error["message"] = e->message;
    } else {
      error["type"] = "";
      error["message"] = std::string(upstream->message(upstream->current()));
    }
    marker = json{{"error", std::move(error)}};
  });
  return parsed;
}

}  // namespace rh::host
