#include "base/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace rh::host {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// libcrypto frees its locks and tables from an atexit handler by default, while threads the
// host does not join at exit (a runner's workers winding down, an attempt abandoned at exit)
// may still be hashing a cache key: a use after free that TSan reported in CLI runs. Before
// its first use, libcrypto is told to leave its state to the process's end instead.
void init_crypto_once() {
  static const bool initialised = OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
  if (!initialised) throw DigestError("cannot initialise libcrypto for SHA-256");
}

DigestContext start_digest() {
  init_crypto_once();
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw DigestError("cannot start a SHA-256 digest");
  }
  return ctx;
}

std::string finish_digest(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, digest, &size) != 1) throw DigestError("the SHA-256 digest failed");
  return hex_of(digest, size);
}

}  // namespace

std::string hex_of(const unsigned char* bytes, std::size_t size) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kHex[bytes[i] >> 4];
    hex[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return hex;
}

std::string sha256_hex(std::string_view text) {
  const DigestContext ctx = start_digest();
  if (EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1) throw DigestError("the SHA-256 digest failed");
  return finish_digest(ctx.get());
}

std::string sha256_hex_of_fd(int fd) {
  const DigestContext ctx = start_digest();
  std::vector<unsigned char> buffer(64 * 1024);
  off_t offset = 0;
  for (;;) {
    const ssize_t got = pread(fd, buffer.data(), buffer.size(), offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw DigestError(std::string("cannot read it: ") + std::strerror(errno));
    }
    if (got == 0) break;
    if (EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(got)) != 1) {
      throw DigestError("the SHA-256 digest failed");
    }
    offset += got;
  }
  return finish_digest(ctx.get());
}

}  // namespace rh::host
