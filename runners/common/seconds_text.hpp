// "1.5 s", "60 s": an option's seconds as a runner's messages quote them.
#pragma once

#include <string>

namespace rh::remote {

inline std::string seconds_text(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text + " s";
}

}  // namespace rh::remote
