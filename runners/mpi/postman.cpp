#include "postman.hpp"

#include "mpi_world.hpp"

#include <mpi.h>

#include <thread>

namespace rh::mpi_runner {

void Postman::post(int rank, Kind kind, std::uint32_t slot, std::string_view payload) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    append_item(outbox_[rank], kind, slot, payload);
    any_posted_ = true;
  }
  posted_.notify_one();
}

bool Postman::send_posted() {
  std::map<int, std::string> batches;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!any_posted_) return false;
    batches.swap(outbox_);
    any_posted_ = false;
  }
  for (auto& [rank, batch] : batches) {
    if (batch.empty()) continue;
    sends_.push_back(Send{rank, std::move(batch), new MPI_Request(MPI_REQUEST_NULL)});
    Send& send = sends_.back();
    auto* request = static_cast<MPI_Request*>(send.request);
    if (MPI_Isend(send.batch.data(), static_cast<int>(send.batch.size()), MPI_BYTE, rank, kBatchTag, MPI_COMM_WORLD,
                  request) != MPI_SUCCESS) {
      // The rank is unreachable: its silence will say so (heartbeats); nothing to keep.
      delete request;
      sends_.pop_back();
    }
  }
  return true;
}

void Postman::reap_sends() {
  for (auto it = sends_.begin(); it != sends_.end();) {
    auto* request = static_cast<MPI_Request*>(it->request);
    int done = 0;
    if (MPI_Test(request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) done = 1;  // failed: gone either way
    if (done != 0) {
      delete request;
      it = sends_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Postman::pass(const Deliver& deliver, const Malformed& malformed) {
  bool active = send_posted();
  reap_sends();
  World& world = World::get();
  int source = -1;
  std::string batch;
  // A bounded number per pass, so that posted items go out between bursts of arrivals.
  for (int i = 0; i < 64 && world.receive_if_any(&source, &batch); ++i) {
    active = true;
    try {
      for_each_item(batch, [&](const Item& item) { deliver(source, item); });
    } catch (const wire::WireError& e) {
      malformed(source, e.what());
    }
  }
  if (active) nap_ = std::chrono::microseconds(0);
  return active;
}

void Postman::nap() {
  // The first idle passes only yield: the next message of a busy exchange is near.
  nap_ = nap_ < std::chrono::microseconds(5) ? nap_ + std::chrono::microseconds(1) : std::min(kMaxNap, nap_ * 2);
  if (nap_ < std::chrono::microseconds(5)) {
    std::this_thread::yield();
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  posted_.wait_for(lock, nap_, [this] { return any_posted_; });
}

void Postman::flush(std::chrono::milliseconds limit, const std::function<bool(int rank)>& skip) {
  send_posted();
  const auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    reap_sends();
    bool waiting = false;
    for (const Send& send : sends_) waiting = waiting || !skip(send.rank);
    if (!waiting || std::chrono::steady_clock::now() >= give_up) return;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

}  // namespace rh::mpi_runner
