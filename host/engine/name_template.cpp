#include "engine/name_template.hpp"

namespace rh::host {

NameTemplate::NameTemplate(std::string pattern) : pattern_(std::move(pattern)) {
  std::string literal;
  for (std::size_t i = 0; i < pattern_.size(); ++i) {
    const char c = pattern_[i];
    const bool doubled = i + 1 < pattern_.size() && pattern_[i + 1] == c;
    if ((c == '{' || c == '}') && doubled) {
      literal += c;
      ++i;
    } else if (c == '{') {
      const std::size_t close = pattern_.find('}', i + 1);
      if (close == std::string::npos) {
        throw NameTemplateError("run name template '" + pattern_ + "' has a '{' without a matching '}'");
      }
      std::string key = pattern_.substr(i + 1, close - i - 1);
      if (key.empty() || key.find('{') != std::string::npos) {
        throw NameTemplateError("run name template '" + pattern_ + "' has an empty or nested '{...}'");
      }
      if (!literal.empty()) pieces_.push_back({false, std::move(literal)});
      literal.clear();
      keys_.push_back(key);
      pieces_.push_back({true, std::move(key)});
      i = close;
    } else if (c == '}') {
      throw NameTemplateError("run name template '" + pattern_ + "' has a '}' without a matching '{'");
    } else {
      literal += c;
    }
  }
  if (!literal.empty()) pieces_.push_back({false, std::move(literal)});
}

std::string NameTemplate::render(const nlohmann::json& params) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    if (!piece.is_key) {
      out += piece.text;
      continue;
    }
    auto it = params.is_object() ? params.find(piece.text) : params.end();
    if (!params.is_object() || it == params.end()) {
      throw NameTemplateError("run name template '" + pattern_ + "' names parameter '" + piece.text +
                              "', which the run does not have");
    }
    out += it->is_string() ? it->get<std::string>() : it->dump();
  }
  return out;
}

}  // namespace rh::host
