// DESIGN.md section 3, rule 6: no exception crosses the C ABI. A user's done callback is
// called by the host through a C function pointer, so the SDK must catch (and log) what
// the callback throws before returning to the host. Checked with a host API table whose
// callback registration calls the SDK's C callback at once and records anything escaping.
#include "engine_harness.hpp"

#include "engine/execution_context.hpp"
#include "plugins/host_api.hpp"

#include <runner_host/sdk.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace rh::testing {
namespace {

bool g_escaped = false;

void call_waiter_callback(rh_waiter*, std::uint64_t run_id, rh_waiter_callback callback, void* user_data) {
  try {
    callback(user_data, run_id);
  } catch (...) {
    g_escaped = true;
  }
}

void call_run_callback(rh_run* run, rh_done_callback callback, void* user_data) {
  try {
    callback(user_data, run);
  } catch (...) {
    g_escaped = true;
  }
}

void no_op(rh_run*) {}

// Points the SDK at a copy of the real host API with the callback entries replaced.
class SdkCallbackBoundary : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.engine();  // started before the SDK is pointed at the copy
    saved_ = rh::detail::host_slot();
    api_ = *host::host_api();
    api_.waiter_add_done_callback = &call_waiter_callback;
    api_.run_on_done = &call_run_callback;
    api_.run_retain = &no_op;
    api_.run_release = &no_op;
    rh::detail::host_slot() = &api_;
    g_escaped = false;
  }
  void TearDown() override { rh::detail::host_slot() = saved_; }

  EngineHarness harness_{"sequential"};  // a session for the waiter to belong to
  rh_host_api api_{};
  const rh_host_api* saved_ = nullptr;
};

TEST_F(SdkCallbackBoundary, FutureDoneCallbackExceptionStaysInTheSdk) {
  int calls = 0;
  rh::Future future(reinterpret_cast<rh_run*>(&calls));  // never dereferenced: retain/release are no-ops
  future.add_done_callback([&](const rh::Future&) {
    ++calls;
    throw std::runtime_error("callback boom");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(g_escaped);
}

// The SDK's TaskRunWaiter::add_done_callback catches and logs a callback's exception, as
// Future::add_done_callback does: nothing unwinds through the C callback pointer.
TEST_F(SdkCallbackBoundary, WaiterDoneCallbackExceptionStaysInTheSdk) {
  const host::ContextScope session_thread(harness_.engine());  // as in task code
  rh::TaskRunWaiter waiter;  // a real private waiter; only the registration is replaced
  int calls = 0;
  waiter.add_done_callback(5, [&](std::uint64_t) {
    ++calls;
    throw std::runtime_error("callback boom");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(g_escaped);
}

}  // namespace
}  // namespace rh::testing
