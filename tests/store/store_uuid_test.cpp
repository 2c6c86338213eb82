// Flow run and task run ids (store_records.hpp): format, version, variant, time order, and
// task run ids distinct for a million run numbers of one flow run.
#include "store/store_records.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace {

using rh::host::new_flow_run_uuid;
using rh::host::task_run_uuid;

// 8-4-4-4-12 lowercase hex with the given version digit and the RFC 4122 variant (8, 9, a, b).
bool valid_uuid(const std::string& text, char version) {
  static const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(text, shape) && text[14] == version;
}

std::int64_t unix_ms_of(const std::string& uuid) {
  return std::stoll(uuid.substr(0, 8) + uuid.substr(9, 4), nullptr, 16);
}

TEST(StoreUuid, FlowRunIdsAreVersion7WithTheCurrentTimeFirst) {
  const auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::string id = new_flow_run_uuid();
  const auto after =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_TRUE(valid_uuid(id, '7')) << id;
  EXPECT_GE(unix_ms_of(id), before);
  EXPECT_LE(unix_ms_of(id), after);
}

TEST(StoreUuid, FlowRunIdsAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(new_flow_run_uuid());
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(StoreUuid, TaskRunIdsOfAMillionRunNumbersAreDistinctValidVersion8) {
  const std::string flow = new_flow_run_uuid();
  std::unordered_set<std::string> ids;
  ids.reserve(1000000);
  for (std::uint64_t run_no = 1; run_no <= 1000000; ++run_no) {
    const std::string id = task_run_uuid(flow, run_no);
    if (run_no % 9973 == 1) {
      ASSERT_TRUE(valid_uuid(id, '8')) << id;
      // Time and rand_a of the flow run are kept: a task run id sorts next to its flow run's.
      ASSERT_EQ(id.substr(0, 14), flow.substr(0, 14));
      ASSERT_EQ(id.substr(15, 3), flow.substr(15, 3));
    }
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000000u);
}

TEST(StoreUuid, TaskRunIdsAreStableAndDifferPerFlowRun) {
  const std::string a = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
  const std::string b = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c";
  EXPECT_EQ(task_run_uuid(a, 5), task_run_uuid(a, 5));
  EXPECT_NE(task_run_uuid(a, 5), task_run_uuid(b, 5));
  EXPECT_NE(task_run_uuid(a, 5), task_run_uuid(a, 6));
  EXPECT_TRUE(valid_uuid(task_run_uuid(a, 0), '8'));
  // Capitals in the flow run id are read as the same id.
  EXPECT_EQ(task_run_uuid("0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B", 5), task_run_uuid(a, 5));
}

TEST(StoreUuid, TaskRunIdOfSomethingElseThanAUuidSaysSo) {
  try {
    task_run_uuid("not-a-uuid", 1);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "not a flow run id (a UUID): 'not-a-uuid'");
  }
  EXPECT_THROW(task_run_uuid("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2g", 1), std::invalid_argument);
  EXPECT_THROW(task_run_uuid("0190a1b2c-3d4-7e5f-8a6b-7c8d9e0f1a2b", 1), std::invalid_argument);
}

}  // namespace
