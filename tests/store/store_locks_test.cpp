// Key locks in the store (SERIALIZABLE isolation across processes, docs/store.md
// "Isolation"): two Store objects on one file stand for two runner-host processes (each is an
// owner of its own, with a connection and a lock thread of its own, as a process would be).
#include "store_support.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

namespace rh::testing {
namespace {

using namespace std::chrono_literals;
using host::LockGrant;
using host::Store;
using host::StoreOptions;

// One lock request, its answer as a future.
std::future<LockGrant> ask(Store& store, const std::string& key, const std::string& holder = "test") {
  auto promise = std::make_shared<std::promise<LockGrant>>();
  std::future<LockGrant> answer = promise->get_future();
  store.acquire_lock(key, holder, [promise](LockGrant grant) { promise->set_value(std::move(grant)); });
  return answer;
}

LockGrant granted(std::future<LockGrant>& answer) {
  EXPECT_EQ(answer.wait_for(20s), std::future_status::ready) << "the lock was never granted";
  return answer.valid() && answer.wait_for(0s) == std::future_status::ready ? answer.get() : LockGrant{{}, "none"};
}

// A process id nobody has: a child that has exited and been reaped.
std::int64_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

class StoreLocks : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string path = dir.file("store.db");
  Store first{options_for(path)};
  Store second{options_for(path)};
};

TEST_F(StoreLocks, AKeyHeldByOneOwnerIsGrantedToTheOtherOnceReleasedAndItsRecordsWritten) {
  std::future<LockGrant> a = ask(first, "sq-3", "flow/1 attempt 1");
  const LockGrant held = granted(a);
  ASSERT_EQ(held.error, "");
  ASSERT_NE(held.token, "");
  {
    RawDb db(path);
    EXPECT_EQ(db.text("SELECT holder || ' ' || host || ' ' || pid FROM locks WHERE key = 'sq-3'"),
              "flow/1 attempt 1 " + this_host() + " " + std::to_string(::getpid()));
  }

  std::future<LockGrant> b = ask(second, "sq-3");
  // Not granted while held: the second owner polls, with backoff, for as long as it is.
  EXPECT_EQ(b.wait_for(300ms), std::future_status::timeout);
  first.release_lock("sq-3", held.token);
  const LockGrant next = granted(b);
  EXPECT_EQ(next.error, "");
  EXPECT_NE(next.token, held.token);
}

TEST_F(StoreLocks, AReleaseOfAnEarlierAcquisitionFreesNothingNewer) {
  std::future<LockGrant> a = ask(first, "k");
  const LockGrant old_grant = granted(a);
  first.release_lock("k", old_grant.token);
  std::future<LockGrant> again = ask(first, "k");
  const LockGrant current = granted(again);
  first.release_lock("k", old_grant.token);  // late, and for the old acquisition
  first.flush();
  RawDb db(path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM locks WHERE key = 'k'"), 1);
  EXPECT_EQ(db.text("SELECT token FROM locks WHERE key = 'k'"), current.token);
}

TEST_F(StoreLocks, AHolderWhoseProcessIsGoneFreesTheKeyAtOnceOnItsHost) {
  {
    RawDb db(path);
    ASSERT_EQ(db.exec("INSERT INTO locks VALUES ('k', 'gone', 't', 'killed/1 attempt 1', '" + this_host() + "', " +
                      std::to_string(dead_pid()) + ", 0, 9000000000000000)"),
              "");
  }
  std::future<LockGrant> b = ask(second, "k");
  EXPECT_EQ(granted(b).error, "");
}

TEST_F(StoreLocks, AnExpiredLeaseFreesTheKeyAndAnUnexpiredOneOfAnotherHostDoesNot) {
  {
    RawDb db(path);
    ASSERT_EQ(db.exec("INSERT INTO locks VALUES ('old', 'o', 't', 'h', 'elsewhere', 1, 0, 1)"), "");
    ASSERT_EQ(db.exec("INSERT INTO locks VALUES ('live', 'o', 't', 'h', 'elsewhere', 1, 0, 9000000000000000)"), "");
  }
  std::future<LockGrant> old_key = ask(second, "old");
  EXPECT_EQ(granted(old_key).error, "");
  std::future<LockGrant> live_key = ask(second, "live");
  EXPECT_EQ(live_key.wait_for(300ms), std::future_status::timeout);
  // Cancelled: the callback is dropped without being called (its promise is broken).
  second.cancel_lock_requests();
  ASSERT_EQ(live_key.wait_for(0s), std::future_status::ready);
  EXPECT_THROW(live_key.get(), std::future_error);
}

TEST_F(StoreLocks, ClosingTheStoreFreesWhatItsOwnerHeld) {
  {
    Store third(options_for(path));
    std::future<LockGrant> a = ask(third, "k");
    ASSERT_EQ(granted(a).error, "");
  }
  RawDb db(path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM locks"), 0);
}

TEST_F(StoreLocks, AReadOnlyStoreAnswersWithAnErrorAtOnce) {
  StoreOptions options = options_for(path);
  options.read_only = true;
  Store reader(options);
  std::future<LockGrant> answer = ask(reader, "k");
  ASSERT_EQ(answer.wait_for(0s), std::future_status::ready);
  EXPECT_NE(answer.get().error.find("read-only"), std::string::npos);
}

}  // namespace
}  // namespace rh::testing
