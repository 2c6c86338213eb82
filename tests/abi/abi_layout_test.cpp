// The C++17 half of the layout test. The real checks are the static assertions in
// abi_layout.h: if a field moves, this file (and abi_layout_c.c) stop compiling. The run-time
// test proves both translation units were built and that C and C++ agree on every size.
#include "abi_layout.h"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace {

// C++-only: struct_size is exactly uint32_t (the C side can only check its size).
template <class T>
constexpr bool struct_size_is_uint32 = std::is_same_v<decltype(T::struct_size), std::uint32_t>;
static_assert(struct_size_is_uint32<rh_error_sink>);
static_assert(struct_size_is_uint32<rh_run_view>);
static_assert(struct_size_is_uint32<rh_dependency>);
static_assert(struct_size_is_uint32<rh_submit_request>);
static_assert(struct_size_is_uint32<rh_host_api>);
static_assert(struct_size_is_uint32<rh_task_call>);
static_assert(struct_size_is_uint32<rh_hook>);
static_assert(struct_size_is_uint32<rh_task_def>);
static_assert(struct_size_is_uint32<rh_task_library>);
static_assert(struct_size_is_uint32<rh_runner_api>);
static_assert(struct_size_is_uint32<rh_host_offer>);
static_assert(struct_size_is_uint32<rh_plugin_descriptor>);
static_assert(struct_size_is_uint32<rh_runner_host>);
static_assert(struct_size_is_uint32<rh_host_info>);

// offsetof is only meaningful (and only allowed) on standard-layout types.
static_assert(std::is_standard_layout_v<rh_run_view> && std::is_trivially_copyable_v<rh_run_view>);
static_assert(std::is_standard_layout_v<rh_host_api> && std::is_trivially_copyable_v<rh_host_api>);
static_assert(std::is_standard_layout_v<rh_task_def> && std::is_trivially_copyable_v<rh_task_def>);
static_assert(std::is_standard_layout_v<rh_plugin_descriptor>);

TEST(AbiLayout, CAndCxxAgreeOnEverySizeAndOffset) {
  std::array<std::size_t, RH_ABI_LAYOUT_FACTS> from_c{};
  std::array<std::size_t, RH_ABI_LAYOUT_FACTS> from_cxx{};
  rh_test_abi_layout_from_c(from_c.data());
  RH_ABI_LAYOUT_FILL(from_cxx);
  for (std::size_t i = 0; i < from_c.size(); ++i) {
    EXPECT_NE(from_c[i], 0u) << "fact " << i << " was not filled in by the C side";
    EXPECT_EQ(from_c[i], from_cxx[i]) << "fact " << i << " (see RH_ABI_LAYOUT_FILL) differs between C and C++";
  }
}

TEST(AbiLayout, LayoutIsPinnedOnThisPlatform) {
#ifndef RH_ABI_LAYOUT_PINNED
  GTEST_SKIP() << "offsets are pinned for x86_64 (LP64) only";
#else
  // Redundant with the static assertions, but makes the pinned platform visible in ctest.
  EXPECT_EQ(sizeof(rh_plugin_descriptor), 72u);
  EXPECT_EQ(sizeof(rh_host_api), 368u);
#endif
}

}  // namespace
