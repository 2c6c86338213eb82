// MPI as this process has it, once: the plugin alone links libmpi; before MPI_Init_thread it
// re-opens libmpi RTLD_GLOBAL so that Open MPI's own components (dlopened by libmpi) find its
// symbols, and it pins this plugin (RTLD_NODELETE): MPI cannot be initialised twice, so the
// plugin that did it must never be unloaded. Init and finalize run on the host's main
// thread; in between, one thread at a time makes MPI calls (MPI_THREAD_SERIALIZED).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rh::mpi_runner {

class World {
 public:
  static World& get();

  // Initialises MPI if nobody has. Throws std::runtime_error saying why it cannot.
  void init();
  bool initialized() const noexcept { return initialized_; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  const std::string& host_name() const noexcept { return host_name_; }

  // Ends MPI (once; later calls do nothing). After it no MPI call may be made.
  void finalize();
  bool finalized() const noexcept { return finalized_; }

  // Blocking send of one batch, for the moments no postman runs (start, the last word).
  // false when MPI refused it.
  bool send_now(int rank, const std::string& batch);
  // A batch from any rank if one has arrived: its source into *source. false when none has.
  bool receive_if_any(int* source, std::string* batch);
  // Aborts the whole job (the last resort when rank 0 cannot go on).
  [[noreturn]] void abort_job(int code);

 private:
  World() = default;
  bool initialized_ = false;
  bool finalized_ = false;
  int rank_ = 0;
  int size_ = 1;
  std::string host_name_;
};

// "rank 2 (node7, pid 4242)"
std::string rank_name(int rank, std::string_view host, std::uint32_t pid);

}  // namespace rh::mpi_runner
