#include "services/inventory/model.h"

#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace reserve::inventory {
namespace {

TEST(ModelTest, LotRoundTrips) {
  Lot l;
  l.id = "L-1";
  l.metal = "CU";
  l.grade = "Cu-CATH-1";
  l.standard = "GB/T 467";
  l.brand = "Jiangxi";
  l.form = "cathode";
  l.pieces = 40;
  l.net_mass_g = 25'000'000;
  l.gross_mass_g = 25'100'000;
  l.depot = "D1";
  l.location = "hall 1";
  l.year_produced = 1985;
  l.year_stored = 1986;
  l.cost_minor = 1'234'567'890'123;
  l.currency = "CNY";
  l.reserve_class = ReserveClass::kCommercial;
  l.owner = "enterprise:7";
  l.status = LotStatus::kPledged;
  l.encumbrances.push_back({"pledge", "bank:icbc", "P-9"});
  absl::StatusOr<Lot> back = DecodeLot(EncodeLot(l));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, l);
}

// EncodeLot streams the document the generic path builds: the same bytes, for random lots
// with quotes, backslashes, slashes, non-ASCII text, extreme numbers and encumbrances.
TEST(ModelTest, EncodeLotWritesTheDocumentsBytes) {
  const uint32_t seed = ::testing::UnitTest::GetInstance()->random_seed();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> pieces = {"a", "Z", "9", " ", "\"", "\\", "/", "{}", ",:",
                                           "\xe9\x93\x9c", "\xf0\x9f\x93\xa6", "\x7f", ""};
  auto text = [&] {
    std::string out;
    for (int n = static_cast<int>(rng() % 6); n > 0; --n) out += pieces[rng() % pieces.size()];
    return out;
  };
  auto number = [&]() -> int64_t {
    switch (rng() % 4) {
      case 0:
        return std::numeric_limits<int64_t>::max();
      case 1:
        return std::numeric_limits<int64_t>::min();
      case 2:
        return 0;
      default:
        return static_cast<int64_t>(rng()) - (1 << 30);
    }
  };
  for (int i = 0; i < 500; ++i) {
    Lot l;
    l.id = text();
    l.metal = text();
    l.grade = text();
    l.standard = text();
    l.brand = text();
    l.form = text();
    l.pieces = number();
    l.net_mass_g = number();
    l.gross_mass_g = number();
    l.depot = text();
    l.location = text();
    l.year_produced = static_cast<int32_t>(number());
    l.year_stored = static_cast<int32_t>(number());
    l.cost_minor = number();
    l.currency = text();
    l.reserve_class = static_cast<ReserveClass>(rng() % 4);
    l.owner = text();
    l.status = static_cast<LotStatus>(rng() % 6);
    l.transit_to = text();
    for (int n = static_cast<int>(rng() % 3); n > 0; --n) {
      l.encumbrances.push_back({text(), text(), text()});
    }
    l.order_id = text();
    l.released_to = text();
    l.release_reference = text();
    ASSERT_EQ(EncodeLot(l), internal::EncodeLotViaDocument(l)) << "lot " << i;
    absl::StatusOr<Lot> back = DecodeLot(EncodeLot(l));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->brand, l.brand);
  }
}

TEST(ModelTest, DepotAndMarkAndCountRoundTrip) {
  Depot d{"D1", "Depot one", "Gansu", "CNRR", DepotKind::kState, true, {{"CU", 5}, {"AL", 7}}};
  EXPECT_EQ(*DecodeDepot(EncodeDepot(d)), d);
  PriceMark p{"CU", absl::CivilDay(2023, 3, 1), 6'000'000, "CNY", "World Bank"};
  EXPECT_EQ(*DecodePriceMark(EncodePriceMark(p)), p);
  StockCount c;
  c.id = "c1";
  c.status = CountStatus::kPending;
  c.business_date = absl::CivilDay(2024, 1, 2);
  c.difference_g = -5;
  EXPECT_EQ(*DecodeStockCount(EncodeStockCount(c)), c);
}

TEST(ModelTest, MalformedRecordIsDataLoss) {
  EXPECT_EQ(DecodeLot("{not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeLot("{\"net_mass_g\":\"heavy\"}").status().code(), absl::StatusCode::kDataLoss);
}

TEST(ModelTest, ParseDateIsStrict) {
  EXPECT_EQ(ParseDate("2023-03-01"), absl::CivilDay(2023, 3, 1));
  EXPECT_EQ(ParseDate("2024-02-29"), absl::CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseDate("2023-02-29").has_value());
  EXPECT_FALSE(ParseDate("2023-3-01").has_value());
  EXPECT_FALSE(ParseDate("2023-03-01x").has_value());
  EXPECT_FALSE(ParseDate("").has_value());
  EXPECT_FALSE(ParseDate("+023-03-01").has_value());
  EXPECT_EQ(FormatDate(absl::CivilDay(1960, 1, 5)), "1960-01-05");
}

}  // namespace
}  // namespace reserve::inventory
