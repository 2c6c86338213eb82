// The small JSON texts the store keeps in its columns, written by hand on the writer
// thread (a general JSON library would cost more than the rest of a row) and read back by a
// parser for exactly these shapes:
//   history  [[1700000000000000,"Pending"],[1700000000000123,"Failed","boom"],...]
//            (the message only when there is one)
//   counts   {"Completed":12,"Failed":1}  (states with no task run are left out)
// Text bytes are copied as they are (messages are UTF-8 but need not be valid), control
// characters escaped, so any message survives the round trip.
#pragma once

#include "store/store_records.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host::detail {

using StateCounts = std::array<std::uint64_t, kStateCount>;

// Appends `history` to `out` (which the writer reuses from row to row).
void append_history_json(std::string& out, const std::vector<StateRecord>& history);
// Throws std::runtime_error saying what is wrong with `text`.
std::vector<StateRecord> parse_history_json(std::string_view text);

std::string counts_json(const StateCounts& counts);
// Throws std::runtime_error.
StateCounts parse_counts_json(std::string_view text);

// Appends `text` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);

}  // namespace rh::host::detail
