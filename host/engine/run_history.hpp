// A run's state history as plain records (store/store_records.hpp): what the store writes
// and the HTML report draws. Read once the run is terminal (immutable, no lock needed).
#pragma once

#include "engine/run.hpp"
#include "store/store_records.hpp"

#include <vector>

namespace rh::host {

std::vector<StateRecord> history_records(const Run& run);

}  // namespace rh::host
