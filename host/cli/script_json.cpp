#include "cli/script_json.hpp"

#include "base/utf8.hpp"

#include <charconv>

namespace rh::host {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  auto flush = [&](std::size_t to) { out.append(text.data() + plain, to - plain); };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t length = utf8_sequence_length(text.substr(i)); length != 0) {
        i += length;
        continue;
      }
      flush(i);
      out += "\\ufffd";
      plain = ++i;
      continue;
    }
    const char* escape = nullptr;
    switch (c) {
      case '"': escape = "\\\""; break;
      case '\\': escape = "\\\\"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      case '\t': escape = "\\t"; break;
      case '<':
        // "</" as "<\/", "<!--" as "<\u0021--": the characters they stand for, escaped.
        if (const bool slash = text.substr(i + 1, 1) == "/"; slash || text.substr(i + 1, 3) == "!--") {
          flush(i);
          out += slash ? "<\\/" : "<\\u0021";
          i += 2;
          plain = i;
          continue;
        }
        break;
      default: break;
    }
    if (escape == nullptr && c < 0x20) {
      flush(i);
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      plain = ++i;
      continue;
    }
    if (escape != nullptr) {
      flush(i);
      out += escape;
      plain = i + 1;
    }
    ++i;
  }
  flush(text.size());
  out += '"';
}

void append_json_int(std::string& out, std::int64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

}  // namespace rh::host
