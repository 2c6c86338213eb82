// Shared pieces of the store suites: a store in a scratch directory, sample records, and
// raw SQLite access to the file for what the Store API does not show (user_version, query
// plans, a second connection holding a lock or a snapshot).
#pragma once

#include "scratch_dir.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

namespace rh::testing {

using host::CacheLookup;
using host::FlowRunEnd;
using host::FlowRunFilter;
using host::FlowRunStart;
using host::FlowRunSummary;
using host::PruneResult;
using host::StateId;
using host::StateRecord;
using host::Store;
using host::StoreError;
using host::StoreOptions;
using host::TaskRunRecord;
using host::WriteFailures;

// A flow run id (UUIDv7) for records of one flow run.
inline const std::string kFlow = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
inline constexpr std::int64_t kT0 = 1700000000000000;  // a wall-clock time, Unix µs

inline StoreOptions options_for(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

inline FlowRunStart flow_start(const std::string& id, const std::string& flow = "pipeline",
                               std::int64_t start_us = kT0) {
  FlowRunStart start;
  start.id = id;
  start.name = flow + "-3fa";
  start.flow = flow;
  start.library = "libtasks";
  start.library_version = "1.2.3";
  start.params = R"({"n":3})";
  start.command_line = "runner-host --plugin ./libtasks.so";
  start.runner = "tbb";
  start.start_us = start_us;
  return start;
}

inline FlowRunEnd flow_end(const std::string& id, StateId state = StateId::Completed,
                           std::int64_t end_us = kT0 + 5000) {
  FlowRunEnd end;
  end.id = id;
  end.state = state;
  end.message = state == StateId::Completed ? "" : "1 task run failed";
  end.history = {{kT0, StateId::Pending, ""}, {kT0 + 10, StateId::Running, ""}, {end_us, state, end.message}};
  end.result = state == StateId::Completed ? "42" : "";
  end.end_us = end_us;
  return end;
}

inline TaskRunRecord task_run(const std::string& flow_run_id, std::uint64_t run_no,
                              StateId state = StateId::Completed) {
  TaskRunRecord run;
  run.flow_run_id = flow_run_id;
  run.run_no = run_no;
  run.task = "square";
  run.name = "square-" + std::to_string(run_no);
  run.library = "libtasks";
  run.library_version = "1.2.3";
  run.params = R"({"x":)" + std::to_string(run_no) + "}";
  run.state = state;
  run.history = {{kT0 + 1, StateId::Pending, ""}, {kT0 + 2, StateId::Running, ""}, {kT0 + 3, state, ""}};
  run.run_count = 1;
  if (state == StateId::Completed) {
    run.result = std::to_string(run_no * run_no);
    run.result_persisted = true;
  } else {
    run.error_type = "ValueError";
    run.error_message = "bad input";
  }
  run.start_us = kT0 + 2;
  run.end_us = kT0 + 3;
  run.run_time_us = 1;
  return run;
}

// A raw SQLite connection to the store file, for what the Store API does not show.
class RawDb {
 public:
  explicit RawDb(const std::string& path, int flags = SQLITE_OPEN_READWRITE) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql`; "" when it succeeded, else SQLite's message.
  std::string exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return {};
    std::string message = error != nullptr ? error : "error";
    sqlite3_free(error);
    return message;
  }
  // The first column of the first row (text), or "" for no row.
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return value;
    }
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  }
  std::int64_t integer(const std::string& sql) {
    const std::string value = text(sql);
    return value.empty() ? 0 : std::stoll(value);
  }
  // Every row of `sql`, columns joined by '|', rows by '\n'.
  std::string rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (i > 0) out += '|';
        const auto* value = sqlite3_column_text(stmt, i);
        out += value != nullptr ? reinterpret_cast<const char*>(value) : "NULL";
      }
      out += '\n';
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// The message of the StoreError `body` throws, or "no error".
template <class Body>
std::string store_error_of(Body&& body) {
  try {
    body();
  } catch (const StoreError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace rh::testing
