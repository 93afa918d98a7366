#include "clients/reservectl/decimal.h"

#include <gtest/gtest.h>

namespace reserve::ctl {
namespace {

TEST(DecimalTest, TonnesToGramsIsExact) {
  EXPECT_EQ(*TonnesToGrams("25.125"), 25'125'000);
  EXPECT_EQ(*TonnesToGrams("25"), 25'000'000);
  EXPECT_EQ(*TonnesToGrams("0.000001"), 1);
  EXPECT_EQ(*TonnesToGrams("250.000000"), 250'000'000);
  EXPECT_EQ(*TonnesToGrams("-1.5"), -1'500'000);
}

TEST(DecimalTest, RejectsMoreThanSixDecimalsAndJunk) {
  for (const char* bad : {"25.1234567", "", ".", "-", "1e6", "1,000", "2..5", " 25", "25t"}) {
    EXPECT_EQ(TonnesToGrams(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(TonnesToGrams("99999999999999").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DecimalTest, ParseScaledForMoney) {
  EXPECT_EQ(*ParseScaled("1234.5", 2), 123'450);
  EXPECT_EQ(ParseScaled("1.234", 2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DecimalTest, PriceConversionRoundsHalfAwayFromZero) {
  // USD 8,123.45/t at 7.10 CNY/USD = 57,676.495 CNY = 5,767,649.5 fen -> 5,767,650.
  EXPECT_EQ(*ConvertPriceToMinor("8123.45", "7.10"), 5'767'650);
  EXPECT_EQ(*ConvertPriceToMinor("511.47", "7.1"), 363'144);  // 3631.437 CNY -> 363143.7 fen
  EXPECT_EQ(*ConvertPriceToMinor("1631", "7.10"), 1'158'010);
  EXPECT_EQ(*ConvertPriceToMinor("0.005", "1"), 1);  // 0.5 fen rounds away from zero
  EXPECT_EQ(ConvertPriceToMinor("abc", "7.10").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DecimalTest, FormatScaled) {
  EXPECT_EQ(FormatScaled(25'125'000, 6, 3), "25.125");
  EXPECT_EQ(FormatScaled(25'000'000, 6, 3), "25.000");
  EXPECT_EQ(FormatScaled(25'125'001, 6, 3), "25.125001");
  EXPECT_EQ(FormatScaled(5, 2, 2), "0.05");
  EXPECT_EQ(FormatScaled(-123'456, 2, 2), "-1234.56");
  EXPECT_EQ(FormatScaled(7, 0, 0), "7");
  EXPECT_EQ(FormatScaled(INT64_MIN, 2, 2), "-92233720368547758.08");
}

}  // namespace
}  // namespace reserve::ctl
