// An owning, intrusive pointer to a reference-counted Run.
#pragma once

#include <utility>

namespace rh::host {

class Run;
void retain(Run* run) noexcept;
void release(Run* run) noexcept;

class RunRef {
 public:
  RunRef() = default;
  // Takes a new reference to run.
  explicit RunRef(Run* run) noexcept : run_(run) {
    if (run_ != nullptr) retain(run_);
  }
  RunRef(const RunRef& other) noexcept : RunRef(other.run_) {}
  RunRef(RunRef&& other) noexcept : run_(std::exchange(other.run_, nullptr)) {}
  RunRef& operator=(RunRef other) noexcept {
    std::swap(run_, other.run_);
    return *this;
  }
  ~RunRef() {
    if (run_ != nullptr) release(run_);
  }

  // Gives up ownership without releasing (e.g. to hand a reference across the ABI).
  Run* detach() noexcept { return std::exchange(run_, nullptr); }

  Run* get() const noexcept { return run_; }
  Run* operator->() const noexcept { return run_; }
  Run& operator*() const noexcept { return *run_; }
  explicit operator bool() const noexcept { return run_ != nullptr; }

 private:
  Run* run_ = nullptr;
};

}  // namespace rh::host
