// JSON that comes from outside the process (a config file, --params, the options a plugin
// declares), parsed within the bounds of base/limits.hpp: no input can exhaust the stack
// (nesting), memory (size) or abort the host (a number out of range, which nlohmann reports
// as out_of_range rather than parse_error). Every problem is a JsonInputError that says
// where in the document it is.
#pragma once

#include "base/limits.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rh::host {

class JsonInputError : public std::runtime_error {
 public:
  enum class Kind {
    Syntax,            // not JSON; reason() is nlohmann's message (line and column)
    TooLarge,          // more than the size limit
    TooDeep,           // nested deeper than kMaxJsonDepth
    NumberOutOfRange,  // e.g. 1e400: no double holds it
  };

  JsonInputError(Kind kind, std::string path, std::string reason);

  Kind kind() const noexcept { return kind_; }
  // Where: "" for the document itself, else keys and indices ("params.items[3]").
  const std::string& path() const noexcept { return path_; }
  // Why, without the path.
  const std::string& reason() const noexcept { return reason_; }

 private:
  Kind kind_;
  std::string path_;
  std::string reason_;
};

// Parses `text` as one JSON document of at most `max_bytes` bytes and kMaxJsonDepth levels
// of arrays and objects. Throws JsonInputError.
nlohmann::json parse_json_input(std::string_view text, std::size_t max_bytes = kMaxJsonInputBytes);

// `value` as compact JSON for an error message: at most `max_bytes` bytes (cut at a UTF-8
// character boundary, then "..."), never throwing on text that is not valid UTF-8.
std::string json_excerpt(const nlohmann::json& value, std::size_t max_bytes = 80);

// `text` from an input, fit for a one-line message: at most `max_bytes` bytes (cut at a UTF-8
// character boundary, then "..."), with '?' for each byte that is not valid UTF-8 and each
// control character.
std::string one_line(std::string_view text, std::size_t max_bytes = 80);

// The path of member `key` of the value at `parent` ("" for the document): "parent.key" for
// a plain word ([A-Za-z0-9_-], at most 64 bytes), else parent["..."] with the key JSON-quoted
// and cut like json_excerpt, so that a path stays one readable line whatever the key holds.
std::string member_path(const std::string& parent, const std::string& key);

}  // namespace rh::host
