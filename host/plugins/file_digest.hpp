// The SHA-256 of a plugin file, to compare with the digest a config file pins
// ("plugins": [{"path": ..., "sha256": ...}]). OpenSSL's libcrypto (EVP API) computes it.
#pragma once

#include <stdexcept>
#include <string>

namespace rh::host {

class DigestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The lowercase hex SHA-256 of everything readable from `fd` from offset 0. Throws
// DigestError with the reason (a read error).
std::string sha256_hex_of_fd(int fd);

}  // namespace rh::host
