#include "services/domain/dates.h"

#include "gtest/gtest.h"

namespace reserve::domain {
namespace {

TEST(DatesTest, FormatIsZeroPaddedAndParseIsItsStrictInverse) {
  EXPECT_EQ(FormatDate(absl::CivilDay(2024, 3, 5)), "2024-03-05");
  EXPECT_EQ(FormatDate(absl::CivilDay(1900, 1, 1)), "1900-01-01");
  for (absl::CivilDay d = absl::CivilDay(2023, 12, 25); d < absl::CivilDay(2024, 3, 5); ++d) {
    EXPECT_EQ(ParseDate(FormatDate(d)), d);
  }
  for (absl::string_view bad : {"", "2024-3-5", "2024/03/05", "2024-02-30", "2023-13-01",
                                "20240305", "2024-03-05 ", "+024-03-05", "2024-03-0a"}) {
    EXPECT_EQ(ParseDate(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace reserve::domain
