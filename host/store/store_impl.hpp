// Store::Impl, shared by the files that implement host::Store: store.cpp (opening, writes),
// store_reads.cpp (history and cache reads), store_maintenance.cpp (info, prune).
#pragma once

#include "store/read_pool.hpp"
#include "store/result_files.hpp"
#include "store/store.hpp"
#include "store/store_locks.hpp"
#include "store/store_writer.hpp"

#include <memory>
#include <mutex>

namespace rh::host {

struct Store::Impl {
  explicit Impl(StoreOptions store_options);

  // Throws StoreError when the store was opened read-only ("cannot " + what).
  detail::StoreWriter& writer_for(const char* what);
  // "store FILE: " + what.
  std::string message(std::string_view what) const { return detail::store_message(options.path, what); }

  StoreOptions options;
  detail::ResultFiles files;
  detail::ReadPool readers;
  // Started by the first lock request (most sessions never make one). Before the writer, so
  // it stops after the writer has committed the queued releases.
  std::mutex locks_mutex;
  std::unique_ptr<detail::StoreLocks> locks;
  // Declared last, so it stops (committing what is queued) before the files and readers go.
  std::unique_ptr<detail::StoreWriter> writer;  // none when read-only
};

}  // namespace rh::host
