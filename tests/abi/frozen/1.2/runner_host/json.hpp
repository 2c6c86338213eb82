// JSON as task code sees it: nlohmann::json, the SDK's parameter and result type.
#pragma once

#include <nlohmann/json.hpp>

namespace rh {
using json = nlohmann::json;
}  // namespace rh
