// Fuzzes what the host reads from a worker process (runners/common/wire.hpp,
// worker_messages.hpp): the bytes of its socket, split into frames by FrameBuffer, fed in
// pieces of varying size, each frame decoded as the process runner decodes it. Every input
// must end in messages or wire::WireError with a one-line message; nothing is read past a
// frame, and a length prefix over the limit is refused before it is buffered.
#include "worker_messages.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool holds, const char* property, const std::string& detail = {}) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property broken: %s\n%s\n", property, detail.c_str());
  std::abort();
}

void require_one_line(const std::string& message) {
  require(!message.empty(), "an error message is not empty");
  require(message.find('\n') == std::string::npos, "an error message is one line", message);
  require(message.size() <= 2000, "an error message is at most 2000 bytes", message.substr(0, 300));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte sets the size of the pieces the stream arrives in (a socket's reads).
  const std::size_t piece = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  rh::wire::FrameBuffer frames;
  std::size_t fed = 0;
  try {
    while (fed < stream.size()) {
      const std::size_t n = std::min(piece, stream.size() - fed);
      frames.feed(stream.data() + fed, n);
      fed += n;
      std::string payload;
      while (frames.next(&payload)) {
        require(payload.size() <= rh::wire::kMaxPayload, "a payload is within the frame limit");
        try {
          const rh::worker_protocol::WorkerMessage m = rh::worker_protocol::decode_from_worker(payload);
          if (m.type == rh::worker_protocol::Type::Done) {
            require(m.done.result.size() <= payload.size(), "a result lies inside its frame");
            require(m.done.code != RH_TASK_WORKER_LOST, "a worker cannot report a runner's status");
          }
          if (m.type == rh::worker_protocol::Type::Call) {
            require(m.call.dependencies.size() * 12 <= payload.size(), "dependencies lie inside their frame");
          }
        } catch (const rh::wire::WireError& e) {
          require_one_line(e.what());
        }
      }
    }
  } catch (const rh::wire::WireError& e) {
    require_one_line(e.what());  // an oversized frame: the stream ends there
  }
  return 0;
}
