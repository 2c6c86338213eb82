// Results larger than StoreOptions::inline_result_bytes, kept as files in a folder beside
// the database (<store file>.results/), one file per result, named after its run's UUID.
//
// Order of writes: the file first (written under a temporary name, then renamed into
// place, so a file under its final name is always complete), its row second. A crash
// between the two leaves an orphan file and never a row without its file; prune removes
// orphans. No fsync: the store's transactions are not synced at commit either (WAL with
// synchronous=NORMAL), so a power loss may lose the last rows as it may lose the last
// files; a row records its file's size, so a file cut short is reported rather than read
// as a result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rh::host::detail {

class ResultFiles {
 public:
  explicit ResultFiles(const std::filesystem::path& store_file);

  const std::filesystem::path& folder() const noexcept { return folder_; }

  // Writes `content` as file `name`, creating the folder when needed. Throws StoreError
  // naming the file.
  void write(const std::string& name, std::string_view content);
  // The content of file `name`, which must hold `expected_bytes`. Throws StoreError naming
  // the file (missing, unreadable, of another size).
  std::string read(const std::string& name, std::int64_t expected_bytes) const;
  // Removes file `name` (a temporary one too); true when it existed. Never throws.
  bool remove(const std::string& name) noexcept;

  struct Entry {
    std::string name;
    std::uint64_t bytes = 0;
    std::int64_t modified_us = 0;  // Unix microseconds
    bool temporary = false;        // a write under way, or one a crash cut short
  };
  // The files in the folder: result files, and with `temporaries` the temporary files of
  // writes; none when the folder does not exist.
  std::vector<Entry> list(bool temporaries = false) const;

  // The file name of a run's result.
  static std::string file_name(const std::string& run_uuid) { return run_uuid + ".json"; }

 private:
  std::filesystem::path store_file_;
  std::filesystem::path folder_;
};

}  // namespace rh::host::detail
