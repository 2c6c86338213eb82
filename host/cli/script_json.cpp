#include "cli/script_json.hpp"

#include <charconv>

namespace rh::host {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence starting at text[at] (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0.
std::size_t sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size() || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!continuation(byte(i))) return 0;
  }
  return length;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  auto flush = [&](std::size_t to) { out.append(text.data() + plain, to - plain); };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t length = sequence_length(text, i); length != 0) {
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
