// SHA-256 as lowercase hex (OpenSSL's libcrypto, EVP API): of text (cache keys are digests
// of their parts, so a key has a fixed size whatever the parameters hold), and of a file
// (a config pins a plugin file's digest; a library without a build id is known by it).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rh::host {

class DigestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lowercase hex of `size` bytes.
std::string hex_of(const unsigned char* bytes, std::size_t size);

std::string sha256_hex(std::string_view text);

// Of everything readable from `fd` from offset 0. Throws DigestError with the reason (a
// read error).
std::string sha256_hex_of_fd(int fd);

}  // namespace rh::host
