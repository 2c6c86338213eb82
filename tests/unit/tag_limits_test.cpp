// TagLimits: slots per limited tag, taken all or nothing, handed to queued runs in arrival
// order when released, and a limit of 0 reported with its tag. The runs are opaque pointers
// to TagLimits (never dereferenced), so fake ones stand in for them.
#include "engine/tag_limits.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using rh::host::Run;
using rh::host::TagLimits;
using Outcome = TagLimits::Outcome;
using Tags = std::vector<std::string>;
using Runs = std::vector<Run*>;

Run* fake_run(std::uintptr_t n) { return reinterpret_cast<Run*>(n * 64); }

TEST(TagLimits, TagsWithoutALimitAreUnlimited) {
  TagLimits limits({{"db", 1}});
  const Tags web{"web"};
  EXPECT_FALSE(limits.limits_any(web));
  EXPECT_FALSE(TagLimits().limits_any(web));
  EXPECT_TRUE(limits.limits_any({"web", "db"}));
  for (std::uintptr_t i = 1; i <= 5; ++i) EXPECT_EQ(limits.acquire(fake_run(i), web).outcome, Outcome::Granted);
  EXPECT_EQ(limits.capacity("web"), -1);
  EXPECT_EQ(limits.in_use("web"), 0);
  EXPECT_TRUE(limits.release(web).empty());
}

TEST(TagLimits, GrantsUpToCapacityThenQueues) {
  TagLimits limits({{"db", 2}});
  const Tags db{"db"};
  EXPECT_EQ(limits.capacity("db"), 2);
  EXPECT_EQ(limits.acquire(fake_run(1), db).outcome, Outcome::Granted);
  EXPECT_EQ(limits.acquire(fake_run(2), db).outcome, Outcome::Granted);
  EXPECT_EQ(limits.in_use("db"), 2);
  EXPECT_EQ(limits.acquire(fake_run(3), db).outcome, Outcome::Queued);
  EXPECT_EQ(limits.in_use("db"), 2);
  // The freed slot goes straight to the queued run: still 2 in use.
  EXPECT_EQ(limits.release(db), Runs{fake_run(3)});
  EXPECT_EQ(limits.in_use("db"), 2);
  EXPECT_TRUE(limits.release(db).empty());
  EXPECT_TRUE(limits.release(db).empty());
  EXPECT_EQ(limits.in_use("db"), 0);
}

TEST(TagLimits, ReleaseGrantsInArrivalOrder) {
  TagLimits limits({{"db", 1}});
  const Tags db{"db"};
  ASSERT_EQ(limits.acquire(fake_run(1), db).outcome, Outcome::Granted);
  for (std::uintptr_t i = 2; i <= 5; ++i) ASSERT_EQ(limits.acquire(fake_run(i), db).outcome, Outcome::Queued);
  for (std::uintptr_t i = 2; i <= 5; ++i) EXPECT_EQ(limits.release(db), Runs{fake_run(i)}) << "release " << i - 1;
  EXPECT_TRUE(limits.release(db).empty());
  EXPECT_EQ(limits.in_use("db"), 0);
}

TEST(TagLimits, TwoTagsAreTakenAllOrNothing) {
  TagLimits limits({{"a", 1}, {"b", 1}});
  const Tags a{"a"}, b{"b"}, both{"a", "b"};
  ASSERT_EQ(limits.acquire(fake_run(1), a).outcome, Outcome::Granted);
  // Needs a (full) and b (free): waits holding nothing, so b stays free for others.
  EXPECT_EQ(limits.acquire(fake_run(2), both).outcome, Outcome::Queued);
  EXPECT_EQ(limits.in_use("b"), 0);
  EXPECT_EQ(limits.acquire(fake_run(3), b).outcome, Outcome::Granted);
  // a frees but b is now held by run 3: run 2 still cannot start and takes nothing.
  EXPECT_TRUE(limits.release(a).empty());
  EXPECT_EQ(limits.in_use("a"), 0);
  EXPECT_EQ(limits.in_use("b"), 1);
  // b frees: run 2 gets both slots at once.
  EXPECT_EQ(limits.release(b), Runs{fake_run(2)});
  EXPECT_EQ(limits.in_use("a"), 1);
  EXPECT_EQ(limits.in_use("b"), 1);
  EXPECT_TRUE(limits.release(both).empty());
  EXPECT_EQ(limits.in_use("a"), 0);
  EXPECT_EQ(limits.in_use("b"), 0);
}

TEST(TagLimits, RunBlockedOnASecondTagKeepsItsPlaceThere) {
  TagLimits limits({{"a", 1}, {"b", 1}});
  const Tags a{"a"}, b{"b"}, both{"a", "b"};
  ASSERT_EQ(limits.acquire(fake_run(1), a).outcome, Outcome::Granted);
  ASSERT_EQ(limits.acquire(fake_run(2), b).outcome, Outcome::Granted);
  ASSERT_EQ(limits.acquire(fake_run(3), both).outcome, Outcome::Queued);  // waits on a
  ASSERT_EQ(limits.acquire(fake_run(4), b).outcome, Outcome::Queued);     // waits on b
  // a frees: run 3 moves to b's queue, ahead of run 4, which arrived later.
  EXPECT_TRUE(limits.release(a).empty());
  EXPECT_EQ(limits.release(b), Runs{fake_run(3)});
  EXPECT_EQ(limits.release(both), Runs{fake_run(4)});
}

TEST(TagLimits, ZeroLimitIsReportedWithItsTag) {
  TagLimits limits({{"db", 1}, {"gpu", 0}, {"old", -1}});
  const Tags db_gpu{"db", "gpu"};
  const auto acquisition = limits.acquire(fake_run(1), db_gpu);
  EXPECT_EQ(acquisition.outcome, Outcome::ZeroLimit);
  EXPECT_EQ(acquisition.zero_tag, "gpu");
  EXPECT_EQ(limits.in_use("db"), 0);  // nothing taken
  const Tags old{"old"};
  const auto negative = limits.acquire(fake_run(2), old);
  EXPECT_EQ(negative.outcome, Outcome::ZeroLimit);
  EXPECT_EQ(negative.zero_tag, "old");
  EXPECT_TRUE(limits.drain_waiters().empty());  // never queued
}

TEST(TagLimits, DrainWaitersRemovesEveryQueuedRun) {
  TagLimits limits({{"a", 1}, {"b", 1}});
  const Tags a{"a"}, b{"b"};
  ASSERT_EQ(limits.acquire(fake_run(1), a).outcome, Outcome::Granted);
  ASSERT_EQ(limits.acquire(fake_run(2), b).outcome, Outcome::Granted);
  ASSERT_EQ(limits.acquire(fake_run(3), a).outcome, Outcome::Queued);
  ASSERT_EQ(limits.acquire(fake_run(4), a).outcome, Outcome::Queued);
  ASSERT_EQ(limits.acquire(fake_run(5), b).outcome, Outcome::Queued);
  Runs drained = limits.drain_waiters();
  std::sort(drained.begin(), drained.end());
  EXPECT_EQ(drained, (Runs{fake_run(3), fake_run(4), fake_run(5)}));
  // Drained runs held nothing, and nobody is waiting any more.
  EXPECT_EQ(limits.in_use("a"), 1);
  EXPECT_TRUE(limits.release(a).empty());
  EXPECT_TRUE(limits.release(b).empty());
  EXPECT_TRUE(limits.drain_waiters().empty());
}

}  // namespace
