#include "services/decision/engine/price_table.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve::decision::engine {
namespace {

using ::testing::ElementsAre;

std::string PinkSheet() {
  std::ifstream in(RESERVE_PINK_SHEET);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr Conversion kAt690{6'900'000, 100};  // 6.90 CNY per USD, fen

TEST(PriceTableTest, LoadsTheRepositoryCopyOfThePinkSheet) {
  absl::StatusOr<MonthlyPrices> p = LoadPinkSheetCsv(PinkSheet(), kAt690);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->metals, ElementsAre("AL", "CU", "PB", "SN", "NI", "ZN", "AU", "PT", "AG"));
  ASSERT_EQ(p->months.size(), 759u);
  EXPECT_EQ(p->months.front(), absl::CivilMonth(1960, 1));
  EXPECT_EQ(p->months.back(), absl::CivilMonth(2023, 3));
  // Copper 1960-01: 715.40 USD/t * 6.90 = 4,936.26 CNY/t.
  EXPECT_EQ(p->price_minor_per_t[p->MetalIndex("CU")][0], 493'626);
  // Gold 1960-01: 35.27 USD/ozt * 6.90 * 10^13 / 311,034,768 ozt/t = 7,824,302.14 CNY/t.
  EXPECT_EQ(p->price_minor_per_t[p->MetalIndex("AU")][0], 782'430'214);
  // 2023-03: aluminium 2,296.42 USD/t; silver 21.98 USD/ozt.
  EXPECT_EQ(p->price_minor_per_t[p->MetalIndex("AL")].back(), 1'584'530);
  EXPECT_EQ(p->price_minor_per_t[p->MetalIndex("AG")].back(), 487'604'653);
  const std::vector<PriceMark> marks = p->Marks(p->MetalIndex("CU"));
  ASSERT_EQ(marks.size(), 759u);
  EXPECT_EQ(marks[1], (PriceMark{absl::CivilDay(1960, 2, 1), p->price_minor_per_t[1][1]}));
  EXPECT_EQ(p->MetalIndex("XX"), -1);
}

TEST(PriceTableTest, RoundsOnceHalfAwayFromZero) {
  // 0.000001 USD/t at 0.5 CNY/USD = 0.00005 fen/t -> rounds to 0: not a price.
  absl::StatusOr<MonthlyPrices> p =
      LoadPinkSheetCsv("month,copper_usd_per_t\n2000-01,0.000001\n", {500'000, 100});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(p.status()), "rows[0].copper_usd_per_t");
  // 1.000005 USD/t at 1 CNY/USD = 100.0005 fen -> 100.
  // 0.005 USD/t at 1 = 0.5 fen -> 1 (half away from zero).
  p = LoadPinkSheetCsv("month,copper_usd_per_t,zinc_usd_per_t\n2000-01,1.000005,0.005\n",
                       {1'000'000, 100});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->price_minor_per_t[0][0], 100);
  EXPECT_EQ(p->price_minor_per_t[1][0], 1);
}

TEST(PriceTableTest, InvalidInputNamesTheField) {
  struct Bad {
    const char* field;
    std::string csv;
    Conversion conversion = kAt690;
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  };
  const std::string ok = "month,copper_usd_per_t\n2000-01,1\n";
  const Bad cases[] = {
      {"conversion.cny_per_usd_micro", ok, {0, 100}},
      {"conversion.minor_per_major", ok, {6'900'000, 0}},
      {"header[0]", "date,copper_usd_per_t\n2000-01,1\n"},
      {"header", "month\n2000-01\n"},
      {"header[1]", "month,copper_usd_per_lb\n2000-01,1\n"},
      {"header[2]", "month,copper_usd_per_t,unobtainium_usd_per_t\n2000-01,1,2\n"},
      {"header[2]", "month,copper_usd_per_t,copper_usd_per_troy_oz\n2000-01,1,2\n"},
      {"csv", "month,copper_usd_per_t\n"},
      {"csv", "month,copper_usd_per_t\n2000-01,\"1\"x\n"},
      {"rows[0]", "month,copper_usd_per_t\n2000-01,1,2\n"},
      {"rows[1].month", "month,copper_usd_per_t\n2000-01,1\n2000-03,1\n"},
      {"rows[1].month", "month,copper_usd_per_t\n2000-01,1\n1999-12,1\n"},
      {"rows[0].month", "month,copper_usd_per_t\n2000-1,1\n"},
      {"rows[0].month", "month,copper_usd_per_t\n2000-13,1\n"},
      {"rows[0].copper_usd_per_t", "month,copper_usd_per_t\n2000-01,\n"},
      {"rows[0].copper_usd_per_t", "month,copper_usd_per_t\n2000-01,-5\n"},
      {"rows[0].copper_usd_per_t", "month,copper_usd_per_t\n2000-01,0\n"},
      {"rows[0].copper_usd_per_t", "month,copper_usd_per_t\n2000-01,1.0000001\n"},
      {"rows[0].copper_usd_per_t", "month,copper_usd_per_t\n2000-01,1e3\n"},
      {"rows[0].copper_usd_per_t", "month,copper_usd_per_t\n2000-01,9999999999999\n"},
      {"csv", std::string(kMaxPriceTableBytes + 1, 'x'), kAt690,
       absl::StatusCode::kResourceExhausted},
  };
  for (const Bad& b : cases) {
    absl::StatusOr<MonthlyPrices> p = LoadPinkSheetCsv(b.csv, b.conversion);
    EXPECT_EQ(p.status().code(), b.code) << b.field << ": " << p.status();
    EXPECT_EQ(FieldOf(p.status()), b.field) << p.status();
  }
  std::string many = "month,copper_usd_per_t\n";
  absl::CivilMonth m(1800, 1);
  for (size_t i = 0; i <= kMaxPriceTableMonths; ++i, ++m) {
    many += absl::FormatCivilTime(m) + ",1\n";
  }
  absl::StatusOr<MonthlyPrices> p = LoadPinkSheetCsv(many, kAt690);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted) << p.status();
  EXPECT_EQ(FieldOf(p.status()), "csv");
}

}  // namespace
}  // namespace reserve::decision::engine
