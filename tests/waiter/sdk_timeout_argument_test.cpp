// The SDK's waiting utilities take their timeout as a std::chrono duration, so the natural
// calls rh::wait(futures, 100ms) and rh::as_completed(futures, 1s) must compile. Checked
// at compile time through detection, reported at run time so the suite can fail.
#include <runner_host/waiting.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using Futures = std::vector<rh::Future>;

template <class Duration, class = void>
struct WaitTakes : std::false_type {};
template <class Duration>
struct WaitTakes<Duration, std::void_t<decltype(rh::wait(std::declval<const Futures&>(), std::declval<Duration>()))>>
    : std::true_type {};

template <class Duration, class = void>
struct AsCompletedTakes : std::false_type {};
template <class Duration>
struct AsCompletedTakes<
    Duration, std::void_t<decltype(rh::as_completed(std::declval<const Futures&>(), std::declval<Duration>()))>>
    : std::true_type {};

TEST(SdkTimeoutArgument, PlainDurationsAreAccepted) {
  EXPECT_TRUE(WaitTakes<std::chrono::milliseconds>::value);
  EXPECT_TRUE(WaitTakes<std::chrono::duration<double>>::value);
  EXPECT_TRUE(AsCompletedTakes<std::chrono::seconds>::value);
}

}  // namespace
