#include "mpi_world.hpp"

#include "envelope.hpp"

#include <mpi.h>

#include <dlfcn.h>

#include <stdexcept>

namespace rh::mpi_runner {
namespace {

// The file a symbol was loaded from, or "" when dladdr cannot tell.
std::string file_of(const void* symbol) {
  Dl_info info{};
  if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return {};
  return info.dli_fname;
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

}  // namespace

World& World::get() {
  static World world;
  return world;
}

std::string rank_name(int rank, std::string_view host, std::uint32_t pid) {
  return "rank " + std::to_string(rank) + " (" + std::string(host) + ", pid " + std::to_string(pid) + ")";
}

void World::init() {
  if (initialized_) return;
  if (finalized_) throw std::runtime_error("MPI was finalised in this process already and cannot start again");
  // Open MPI dlopens its components, which expect libmpi's symbols global (ompi issue #3705).
  const std::string libmpi = file_of(reinterpret_cast<const void*>(&MPI_Init_thread));
  if (libmpi.empty() || dlopen(libmpi.c_str(), RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
    throw std::runtime_error("cannot re-open libmpi with global symbols" +
                             (libmpi.empty() ? std::string() : " (" + libmpi + ")"));
  }
  const std::string self = file_of(reinterpret_cast<const void*>(&rank_name));
  if (self.empty() || dlopen(self.c_str(), RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD) == nullptr) {
    throw std::runtime_error("cannot pin the MPI runner plugin in memory");
  }
  int already = 0;
  MPI_Initialized(&already);
  if (already == 0) {
    int provided = 0;
    const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (code != MPI_SUCCESS) throw std::runtime_error("MPI_Init_thread failed: " + mpi_error_text(code));
    if (provided < MPI_THREAD_SERIALIZED) {
      throw std::runtime_error("this MPI library gives threading level " + std::to_string(provided) +
                               "; the MPI runner needs MPI_THREAD_SERIALIZED");
    }
  }
  // A dead or unreachable rank is an error to handle, not the end of the job.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(name, &length);
  host_name_.assign(name, static_cast<std::size_t>(length));
  initialized_ = true;
}

void World::finalize() {
  if (!initialized_ || finalized_) return;
  finalized_ = true;
  MPI_Finalize();
}

bool World::send_now(int rank, const std::string& batch) {
  return MPI_Send(batch.data(), static_cast<int>(batch.size()), MPI_BYTE, rank, kBatchTag, MPI_COMM_WORLD) ==
         MPI_SUCCESS;
}

bool World::receive_if_any(int* source, std::string* batch) {
  int flag = 0;
  MPI_Status status{};
  if (MPI_Iprobe(MPI_ANY_SOURCE, kBatchTag, MPI_COMM_WORLD, &flag, &status) != MPI_SUCCESS || flag == 0) return false;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  batch->resize(static_cast<std::size_t>(count));
  if (MPI_Recv(batch->data(), count, MPI_BYTE, status.MPI_SOURCE, kBatchTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
      MPI_SUCCESS) {
    return false;
  }
  *source = status.MPI_SOURCE;
  return true;
}

void World::abort_job(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace rh::mpi_runner
