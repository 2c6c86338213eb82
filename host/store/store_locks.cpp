#include "store/store_locks.hpp"

#include "base/clock.hpp"

#include <sqlite3.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace rh::host::detail {
namespace {

constexpr const char* kFind = "SELECT owner, host, pid, expires_us FROM locks WHERE key = ?1";
constexpr const char* kTake =
    "INSERT OR REPLACE INTO locks (key, owner, token, holder, host, pid, acquired_us, expires_us) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kRenew = "UPDATE locks SET expires_us = ?1 WHERE owner = ?2";
constexpr const char* kDropOwn = "DELETE FROM locks WHERE owner = ?1";

constexpr auto kFirstBackoff = std::chrono::milliseconds(5);
constexpr auto kLongestBackoff = std::chrono::milliseconds(200);

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// A holder whose process is gone (kill -9) frees its keys at once for the processes on its
// host; elsewhere only its lease tells.
bool process_gone(std::int64_t pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

StoreLocks::StoreLocks(const StoreOptions& options)
    : options_(options),
      db_(options.path, SQLITE_OPEN_READWRITE),
      owner_(new_flow_run_uuid()),
      host_(this_host()),
      pid_(static_cast<std::int64_t>(::getpid())) {
  db_.check(sqlite3_busy_timeout(db_.get(), static_cast<int>(options.busy_timeout.count())));
  // Its small commits never run a checkpoint (the writer's Checkpointer does): a lock is
  // granted in the time of one small transaction.
  db_.exec("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0");
  find_ = db_.prepare(kFind);
  take_ = db_.prepare(kTake);
  renew_ = db_.prepare(kRenew);
  thread_ = std::thread([this] { run(); });
}

StoreLocks::~StoreLocks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  try {
    Transaction transaction(db_);
    Statement drop = db_.prepare(kDropOwn, false);
    drop.bind(1, owner_);
    drop.run();
    transaction.commit();
  } catch (const std::exception&) {
    // The leases run out instead.
  }
}

void StoreLocks::acquire(std::string key, std::string holder, std::function<void(LockGrant)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(
        Request{std::move(key), std::move(holder), std::move(done), epoch_, Clock::now(), kFirstBackoff});
  }
  wake_.notify_one();
}

void StoreLocks::cancel_all() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++epoch_;
    pending_.clear();
  }
  std::lock_guard<std::mutex> wait_for_answer(answering_);
}

void StoreLocks::answer(const Request& request, LockGrant grant) {
  std::lock_guard<std::mutex> answering(answering_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (request.epoch != epoch_) return;  // cancelled meanwhile
  }
  request.done(std::move(grant));
}

StoreLocks::Try StoreLocks::try_acquire(Request& request, LockGrant& grant) {
  const std::int64_t now = wall_us();
  Transaction transaction(db_);  // BEGIN IMMEDIATE: two owners can never both see the key free
  {
    StatementScope scope(find_);
    find_.bind(1, request.key);
    if (find_.step()) {
      const bool mine = find_.column_view(0) == owner_;
      const bool same_host = find_.column_view(1) == host_;
      const std::int64_t expires = find_.column_int(3);
      if (!mine && expires > now && !(same_host && process_gone(find_.column_int(2)))) {
        // Held: look again after the backoff, or as the lease runs out if that is sooner.
        const auto until_expiry = std::chrono::microseconds(expires - now);
        request.next_try = Clock::now() + std::min<Clock::duration>(request.backoff, until_expiry);
        request.backoff = std::min<Clock::duration>(request.backoff * 2, kLongestBackoff);
        return Try::Held;
      }
    }
  }
  grant.token = owner_ + "#" + std::to_string(++tokens_);
  StatementScope scope(take_);
  take_.bind(1, request.key);
  take_.bind(2, owner_);
  take_.bind(3, grant.token);
  take_.bind(4, request.holder);
  take_.bind(5, host_);
  take_.bind(6, pid_);
  take_.bind(7, now);
  take_.bind(8, now + std::chrono::duration_cast<std::chrono::microseconds>(options_.lock_lease).count());
  take_.step();
  transaction.commit();
  return Try::Granted;
}

void StoreLocks::renew() noexcept {
  try {
    Transaction transaction(db_);
    StatementScope scope(renew_);
    renew_.bind(1, wall_us() + std::chrono::duration_cast<std::chrono::microseconds>(options_.lock_lease).count());
    renew_.bind(2, owner_);
    renew_.step();
    transaction.commit();
  } catch (const std::exception&) {
    // Tried again at the next renewal; a lease is three renewals long.
  }
}

void StoreLocks::run() noexcept {
  const auto renew_every = std::max<Clock::duration>(options_.lock_lease / 3, std::chrono::milliseconds(1));
  auto next_renewal = Clock::now() + renew_every;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stopping_) return;
    const auto now = Clock::now();
    auto next = next_renewal;
    std::vector<Request> due;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->next_try <= now) {
        due.push_back(std::move(*it));
        it = pending_.erase(it);
      } else {
        next = std::min(next, it->next_try);
        ++it;
      }
    }
    if (due.empty() && now < next_renewal) {
      wake_.wait_until(lock, next);
      continue;
    }
    lock.unlock();
    std::vector<Request> again;
    for (Request& request : due) {
      LockGrant grant;
      Try outcome = Try::Failed;
      try {
        outcome = try_acquire(request, grant);
      } catch (const std::exception& e) {
        grant.error = e.what();
      }
      if (outcome == Try::Held) {
        again.push_back(std::move(request));
      } else {
        answer(request, std::move(grant));
      }
    }
    if (Clock::now() >= next_renewal) {
      renew();
      next_renewal = Clock::now() + renew_every;
    }
    lock.lock();
    for (Request& request : again) {
      if (request.epoch == epoch_) pending_.push_back(std::move(request));
    }
  }
}

}  // namespace rh::host::detail
