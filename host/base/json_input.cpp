#include "base/json_input.hpp"

#include "base/utf8.hpp"

#include <string>
#include <vector>

namespace rh::host {
namespace {

using nlohmann::json;

// nlohmann's id for "number overflow parsing '...'" (an out_of_range, not a parse_error).
constexpr int kNumberOverflowId = 406;

// A path shows at most this many levels; a document nested to the limit would otherwise
// give a path of 64 components.
constexpr std::size_t kPathLevelsShown = 8;

}  // namespace

std::string one_line(std::string_view text, std::size_t max_bytes) {
  const std::string_view kept = utf8_prefix(text, max_bytes);
  std::string out;
  out.reserve(kept.size() + 3);
  for (std::size_t i = 0; i < kept.size();) {
    const std::size_t length = utf8_sequence_length(kept.substr(i));
    if (length == 0 || (length == 1 && (static_cast<unsigned char>(kept[i]) < 0x20 || kept[i] == 0x7F))) {
      out += '?';
      ++i;
    } else {
      out.append(kept.substr(i, length));
      i += length;
    }
  }
  return kept.size() == text.size() ? out : out + "...";
}

namespace {

bool is_plain_word(const std::string& key) {
  if (key.empty() || key.size() > 64) return false;
  for (const char c : key) {
    const bool word =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!word) return false;
  }
  return true;
}

// Checks a document as nlohmann's parser reads it, without building it: depth, and where
// each value is, so that an error can name its path.
class BoundsCheck final : public nlohmann::json_sax<json> {
 public:
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }  // JSON text has none

  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& name) override {
    levels_.back().key = name;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }

  bool parse_error(std::size_t, const std::string& last_token, const nlohmann::detail::exception& error) override {
    if (error.id == kNumberOverflowId) {
      throw JsonInputError(JsonInputError::Kind::NumberOutOfRange, path(),
                           "number " + one_line(last_token, 40) + " is out of range (no double holds it)");
    }
    // nlohmann quotes what it last read, which can be most of the input.
    throw JsonInputError(JsonInputError::Kind::Syntax, path(), one_line(error.what(), 300));
  }

 private:
  struct Level {
    bool is_array = false;
    std::string key;        // objects: the member being read
    std::size_t index = 0;  // arrays: the element being read
  };

  bool value() {
    if (!levels_.empty() && levels_.back().is_array) ++levels_.back().index;
    return true;
  }
  bool open(bool is_array) {
    if (levels_.size() >= kMaxJsonDepth) {
      throw JsonInputError(JsonInputError::Kind::TooDeep, path(),
                           "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (the limit)");
    }
    levels_.push_back(Level{is_array, {}, 0});
    return true;
  }
  bool close() {
    levels_.pop_back();
    return value();
  }

  // Where the value being read is.
  std::string path() const {
    std::string text;
    std::size_t shown = 0;
    for (const Level& level : levels_) {
      if (shown == kPathLevelsShown) return text + "...";
      if (level.is_array) {
        text += "[" + std::to_string(level.index) + "]";
      } else if (!level.key.empty()) {
        text = member_path(text, level.key);
      } else {
        break;  // an object before its first key
      }
      ++shown;
    }
    return text;
  }

  std::vector<Level> levels_;
};

std::string what_of(const std::string& path, const std::string& reason) {
  return path.empty() ? reason : path + ": " + reason;
}

}  // namespace

JsonInputError::JsonInputError(Kind kind, std::string path, std::string reason)
    : std::runtime_error(what_of(path, reason)), kind_(kind), path_(std::move(path)), reason_(std::move(reason)) {}

json parse_json_input(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    throw JsonInputError(JsonInputError::Kind::TooLarge, {},
                         "is larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  // Two passes: the check, which can say where a problem is, then nlohmann's own parser,
  // which can then no longer fail.
  BoundsCheck check;
  json::sax_parse(text, &check);
  return json::parse(text);
}

std::string json_excerpt(const json& value, std::size_t max_bytes) {
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string_view kept = utf8_prefix(text, max_bytes);
  return kept.size() == text.size() ? text : std::string(kept) + "...";
}

std::string member_path(const std::string& parent, const std::string& key) {
  if (is_plain_word(key)) return parent.empty() ? key : parent + "." + key;
  return parent + "[" + json_excerpt(json(key), 64) + "]";
}

}  // namespace rh::host
