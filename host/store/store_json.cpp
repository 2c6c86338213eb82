#include "store/store_json.hpp"

#include <charconv>

namespace rh::host::detail {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

void append_history_json(std::string& out, const std::vector<StateRecord>& history) {
  out += '[';
  char number[24];
  for (std::size_t i = 0; i < history.size(); ++i) {
    const StateRecord& record = history[i];
    if (i > 0) out += ',';
    out += '[';
    const auto end = std::to_chars(number, number + sizeof number, record.time_us).ptr;
    out.append(number, static_cast<std::size_t>(end - number));
    out += ",\"";
    out += state_name(record.state);  // names need no escaping
    out += '"';
    if (!record.message.empty()) {
      out += ',';
      append_json_string(out, record.message);
    }
    out += ']';
  }
  out += ']';
}

namespace {

// A cursor over one of the texts above; every problem is a runtime_error with the offset.
class Reader {
 public:
  Reader(std::string_view text, const char* what) : text_(text), what_(what) {}

  [[noreturn]] void fail(const char* expected) const {
    throw std::runtime_error(std::string("bad ") + what_ + " text at byte " + std::to_string(pos_) + ": expected " +
                             expected);
  }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void expect(char c) {
    if (!peek(c)) fail(std::string(1, c).c_str());
    ++pos_;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool at_end() const { return pos_ == text_.size(); }

  std::int64_t integer() {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
    if (error != std::errc()) fail("an integer");
    pos_ = static_cast<std::size_t>(end - text_.data());
    return value;
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) fail("the end of a string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("an escape");
      switch (text_[pos_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(out, code_point()); break;
        default: fail("an escape");
      }
    }
  }

 private:
  unsigned hex4() {
    if (pos_ + 4 > text_.size()) fail("four hex digits");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("a hex digit");
      }
    }
    return value;
  }

  // The writer only escapes control characters, but a hand-edited row may hold any escape.
  unsigned code_point() {
    unsigned cp = hex4();
    if (cp >= 0xd800 && cp < 0xdc00 && pos_ + 6 <= text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
      pos_ += 2;
      const unsigned low = hex4();
      if (low >= 0xdc00 && low < 0xe000) return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      fail("a low surrogate");
    }
    return cp;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  std::string_view text_;
  const char* what_;
  std::size_t pos_ = 0;
};

StateId parse_state(Reader& reader) {
  const std::string name = reader.string();
  if (auto state = state_from_name(name)) return *state;
  throw std::runtime_error("unknown state '" + name + "'");
}

}  // namespace

std::vector<StateRecord> parse_history_json(std::string_view text) {
  std::vector<StateRecord> history;
  if (text.empty()) return history;
  Reader reader(text, "history");
  reader.expect('[');
  if (!reader.accept(']')) {
    do {
      reader.expect('[');
      StateRecord record;
      record.time_us = reader.integer();
      reader.expect(',');
      record.state = parse_state(reader);
      if (reader.accept(',')) record.message = reader.string();
      reader.expect(']');
      history.push_back(std::move(record));
    } while (reader.accept(','));
    reader.expect(']');
  }
  if (!reader.at_end()) reader.fail("the end");
  return history;
}

std::string counts_json(const StateCounts& counts) {
  std::string out = "{";
  for (int i = 0; i < kStateCount; ++i) {
    if (counts[static_cast<std::size_t>(i)] == 0) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += state_name(static_cast<StateId>(i));
    out += "\":";
    out += std::to_string(counts[static_cast<std::size_t>(i)]);
  }
  out += '}';
  return out;
}

StateCounts parse_counts_json(std::string_view text) {
  StateCounts counts{};
  if (text.empty()) return counts;
  Reader reader(text, "counts");
  reader.expect('{');
  if (!reader.accept('}')) {
    do {
      const StateId state = parse_state(reader);
      reader.expect(':');
      const std::int64_t count = reader.integer();
      if (count < 0) reader.fail("a count");
      counts[static_cast<std::size_t>(state)] = static_cast<std::uint64_t>(count);
    } while (reader.accept(','));
    reader.expect('}');
  }
  if (!reader.at_end()) reader.fail("the end");
  return counts;
}

}  // namespace rh::host::detail
