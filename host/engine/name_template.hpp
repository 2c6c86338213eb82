// Run name templates: "add-{a}-{b}" rendered from a run's parameters. "{{" and "}}" are
// literal braces.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host {

class NameTemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class NameTemplate {
 public:
  NameTemplate() = default;
  // Throws NameTemplateError for an unbalanced brace or an empty "{}".
  explicit NameTemplate(std::string pattern);

  bool empty() const { return pattern_.empty(); }
  const std::string& pattern() const { return pattern_; }
  // Every parameter the template names.
  const std::vector<std::string>& keys() const { return keys_; }

  // Throws NameTemplateError naming the key when params lacks one.
  std::string render(const nlohmann::json& params) const;

 private:
  struct Piece {
    bool is_key;
    std::string text;
  };
  std::string pattern_;
  std::vector<Piece> pieces_;
  std::vector<std::string> keys_;
};

}  // namespace rh::host
