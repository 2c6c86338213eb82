// Helpers for C++ code on either side of the C ABI (the SDK, the host, a runner written
// against abi.h): rh_str to and from standard strings, and an rh_error_sink that keeps
// what the callee reported.
#pragma once

#include <runner_host/abi.h>

#include <string>
#include <string_view>

namespace rh {

// A view of `text` for the ABI; valid as long as `text` is.
inline rh_str to_rh_str(std::string_view text) noexcept { return rh_str{text.data(), text.size()}; }

// {NULL, 0} and any other empty rh_str are the empty string.
inline std::string_view to_string_view(rh_str text) noexcept {
  return text.data == nullptr ? std::string_view{} : std::string_view{text.data, text.size};
}

inline std::string to_string(rh_str text) { return std::string(to_string_view(text)); }

// Collects what a callee reports through an rh_error_sink (at most one type and message;
// a second report replaces the first). Pass &capture.sink; the capture must outlive the call.
struct ErrorCapture {
  rh_error_sink sink{sizeof(rh_error_sink), this, &ErrorCapture::set};
  std::string type;
  std::string message;
  bool has_error = false;

  ErrorCapture() = default;
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;

  // "type: message", or whichever of the two was given.
  std::string describe() const {
    if (type.empty()) return message;
    if (message.empty()) return type;
    return type + ": " + message;
  }

  // The message, or the type when the callee gave no message.
  const std::string& message_or_type() const { return message.empty() ? type : message; }

 private:
  static void set(rh_error_sink* s, rh_str t, rh_str m) {
    auto* self = static_cast<ErrorCapture*>(s->host_data);
    self->type.assign(to_string_view(t));
    self->message.assign(to_string_view(m));
    self->has_error = true;
  }
};

}  // namespace rh
