// Futures inside parameters. The SDK writes a future as {"$rh_future": <run id>}
// (plus "allow_failure": true); before the run starts the engine replaces each marker
// by the upstream's result, or by {"error": {...}} for a failed upstream let through.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rh::host {

class Run;

struct FutureRef {
  std::uint64_t run_id;
  bool allow_failure;
};

// Cheap test on the JSON text, so parameters without futures are never parsed.
bool mentions_futures(const std::string& params);

// Every marker in params. Throws std::invalid_argument for malformed JSON or markers.
std::vector<FutureRef> find_futures(const std::string& params);

// params with every marker replaced; `lookup` maps a run id to its (terminal) upstream.
nlohmann::json resolve_futures(const std::string& params, const std::function<const Run*(std::uint64_t)>& lookup);

}  // namespace rh::host
