// The byte layer of the worker protocol (docs/worker-protocol.md): a frame is a 4-byte
// little-endian length and that many bytes of payload; a payload is a sequence of fixed-width
// little-endian integers and length-prefixed byte strings. Writer builds one, Reader takes
// one apart and throws WireError at the first byte it cannot account for, so a peer that
// sends garbage is found out at once and never read past its frame.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rh::wire {

// A frame's payload may not exceed this: a larger length prefix is garbage (or an attack),
// and reading it would let a peer make the host allocate without bound.
inline constexpr std::uint32_t kMaxPayload = 64u << 20;
inline constexpr std::size_t kHeaderSize = 4;

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Writer {
 public:
  // Starts a frame: room for the length, filled in by finish().
  Writer() { buffer_.assign(kHeaderSize, '\0'); }

  Writer& u8(std::uint8_t v) {
    buffer_.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& u32(std::uint32_t v) { return fixed(v); }
  Writer& u64(std::uint64_t v) { return fixed(v); }
  Writer& i32(std::int32_t v) { return fixed(static_cast<std::uint32_t>(v)); }
  Writer& i64(std::int64_t v) { return fixed(static_cast<std::uint64_t>(v)); }
  Writer& str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    buffer_.append(s.data(), s.size());
    return *this;
  }

  // Bytes as they are (the payload of another Writer's frame, say).
  Writer& raw(std::string_view bytes) {
    buffer_.append(bytes.data(), bytes.size());
    return *this;
  }

  // The whole frame, length prefix included. Throws WireError when it is too large.
  const std::string& finish() {
    const std::size_t payload = buffer_.size() - kHeaderSize;
    if (payload > kMaxPayload) throw WireError("a message of " + std::to_string(payload) + " bytes is too large");
    for (std::size_t i = 0; i < kHeaderSize; ++i) buffer_[i] = static_cast<char>((payload >> (8 * i)) & 0xffu);
    return buffer_;
  }

 private:
  template <class T>
  Writer& fixed(T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) buffer_.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
    return *this;
  }

  std::string buffer_;
};

class Reader {
 public:
  explicit Reader(std::string_view payload) : data_(payload) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint32_t u32() { return fixed<std::uint32_t>(); }
  std::uint64_t u64() { return fixed<std::uint64_t>(); }
  std::int32_t i32() { return static_cast<std::int32_t>(fixed<std::uint32_t>()); }
  std::int64_t i64() { return static_cast<std::int64_t>(fixed<std::uint64_t>()); }
  bool boolean() {
    const std::uint8_t v = u8();
    if (v > 1) throw WireError("a flag holds " + std::to_string(v));
    return v == 1;
  }
  std::string_view str() {
    const std::uint32_t size = u32();
    return take(size);
  }
  // A count of items that each take at least `min_item_bytes`: more than the bytes left
  // could hold is garbage, refused before anyone reserves room for them.
  std::uint32_t count(std::size_t min_item_bytes) {
    const std::uint32_t n = u32();
    if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
      throw WireError("a count of " + std::to_string(n) + " does not fit in the message");
    }
    return n;
  }

  std::size_t remaining() const noexcept { return data_.size() - offset_; }
  // Call when the message should be over: bytes left over are garbage too.
  void expect_end() const {
    if (remaining() != 0) throw WireError(std::to_string(remaining()) + " unexpected bytes at the end of a message");
  }

 private:
  std::string_view take(std::size_t n) {
    if (n > remaining()) throw WireError("a message ends in the middle of a field");
    const std::string_view out = data_.substr(offset_, n);
    offset_ += n;
    return out;
  }
  template <class T>
  T fixed() {
    const std::string_view bytes = take(sizeof(T));
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    return v;
  }

  std::string_view data_;
  std::size_t offset_ = 0;
};

// Reassembles frames from a byte stream: feed() what arrived, next() yields each complete
// payload. A length prefix above kMaxPayload throws WireError before anything is buffered.
class FrameBuffer {
 public:
  void feed(const char* bytes, std::size_t n) { pending_.append(bytes, n); }

  // The next complete payload into *payload; false when none is complete yet.
  bool next(std::string* payload) {
    if (pending_.size() - start_ < kHeaderSize) return compact(false);
    std::uint32_t size = 0;
    for (std::size_t i = 0; i < kHeaderSize; ++i) {
      size |= static_cast<std::uint32_t>(static_cast<unsigned char>(pending_[start_ + i])) << (8 * i);
    }
    if (size > kMaxPayload) {
      throw WireError("a frame of " + std::to_string(size) + " bytes is over the limit of " +
                      std::to_string(kMaxPayload));
    }
    if (pending_.size() - start_ - kHeaderSize < size) return compact(false);
    payload->assign(pending_, start_ + kHeaderSize, size);
    start_ += kHeaderSize + size;
    return compact(true);
  }
  bool empty() const noexcept { return pending_.size() == start_; }

 private:
  // Drops consumed bytes once they are the larger part, so the buffer stays bounded.
  bool compact(bool result) {
    if (start_ == pending_.size()) {
      pending_.clear();
      start_ = 0;
    } else if (start_ > 4096 && start_ * 2 > pending_.size()) {
      pending_.erase(0, start_);
      start_ = 0;
    }
    return result;
  }

  std::string pending_;
  std::size_t start_ = 0;
};

}  // namespace rh::wire
