// format_timestamp_us: RFC 3339 UTC with microseconds, as written in reports and event
// lines. Known instants, including ones before the epoch (the fraction stays positive).
#include "base/time_format.hpp"

#include <gtest/gtest.h>

namespace {

using rh::host::format_timestamp_us;

TEST(TimeFormat, Epoch) { EXPECT_EQ(format_timestamp_us(0), "1970-01-01T00:00:00.000000Z"); }

TEST(TimeFormat, DateWithMicroseconds) {
  EXPECT_EQ(format_timestamp_us(1700000000123456), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(format_timestamp_us(951782400000001), "2000-02-29T00:00:00.000001Z");  // leap day
  EXPECT_EQ(format_timestamp_us(4102444799999999), "2099-12-31T23:59:59.999999Z");
}

TEST(TimeFormat, BeforeTheEpoch) {
  EXPECT_EQ(format_timestamp_us(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp_us(-1000000), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(format_timestamp_us(-1500000), "1969-12-31T23:59:58.500000Z");
  EXPECT_EQ(format_timestamp_us(-86400000000), "1969-12-31T00:00:00.000000Z");
}

}  // namespace
