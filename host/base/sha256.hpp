// SHA-256 of text, as lowercase hex (OpenSSL's libcrypto): cache keys are digests of
// their parts, so a key has a fixed size whatever the parameters hold.
#pragma once

#include <string>
#include <string_view>

namespace rh::host {

std::string sha256_hex(std::string_view text);

}  // namespace rh::host
