#include "clients/reservectl/demo_data.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "storage/exact.h"

namespace reserve::ctl {
namespace {

PinkSheet LoadSheet() {
  std::ifstream in(RESERVE_PINK_SHEET);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<PinkSheet> sheet = ParsePinkSheet(text.str());
  EXPECT_TRUE(sheet.ok()) << sheet.status();
  return sheet.ok() ? *sheet : PinkSheet();
}

TEST(DemoDataTest, PinkSheetKeepsTheDecimalText) {
  PinkSheet sheet = LoadSheet();
  EXPECT_EQ(sheet.usd_per_t.at("CU").at("2023-03"), "8856.31");
  EXPECT_EQ(sheet.usd_per_t.at("AL").at("1960-01"), "511.47");
  EXPECT_EQ(sheet.usd_per_t.size(), 6u);
}

TEST(DemoDataTest, RealisticAndDeterministic) {
  PinkSheet sheet = LoadSheet();
  DemoOptions options;
  options.seed = 7;
  options.lots = 2000;
  auto a = GenerateDemo(options, sheet);
  auto b = GenerateDemo(options, sheet);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->depots.size(), 12u);
  size_t lots = 0;
  std::set<std::string> ids, metals, provinces;
  bool old_stock = false;
  for (size_t i = 0; i < a->batches.size(); ++i) {
    const DemoBatch& batch = a->batches[i];
    EXPECT_LE(batch.lots.size(), kMaxDemoBatchLots);
    EXPECT_EQ(batch.request_id, b->batches[i].request_id);
    for (size_t j = 0; j < batch.lots.size(); ++j) {
      const v1::Lot& lot = batch.lots[j];
      EXPECT_EQ(lot.SerializeAsString(), b->batches[i].lots[j].SerializeAsString());
      EXPECT_GE(lot.net_mass_g(), 24 * kGramsPerTonne) << lot.lot_id();
      EXPECT_LE(lot.net_mass_g(), 255 * kGramsPerTonne) << lot.lot_id();
      EXPECT_GE(lot.gross_mass_g(), lot.net_mass_g());
      EXPECT_GE(lot.year_produced(), 1975);
      EXPECT_LE(lot.year_stored(), kDemoLastYear);
      EXPECT_EQ(lot.year_stored(), batch.business_date.year());
      EXPECT_GT(lot.cost_minor(), 0);
      EXPECT_TRUE(ids.insert(lot.lot_id()).second) << lot.lot_id();
      metals.insert(lot.metal());
      old_stock |= lot.year_produced() < 1990;
      ++lots;
    }
  }
  for (const auto& [id, depot] : a->depots) provinces.insert(depot.province());
  EXPECT_EQ(lots, 2000u);
  EXPECT_EQ(metals.size(), 6u);
  EXPECT_EQ(provinces.size(), 12u);
  EXPECT_TRUE(old_stock);
  EXPECT_EQ(a->total_marks, 6u * 759u);
  EXPECT_EQ(a->price_source, "World Bank Pink Sheet, USD->CNY at 7.10");
  // Copper, March 2023: USD 8,856.31/t at 7.10 = 62,879.801 CNY -> 6,287,980 fen.
  bool found = false;
  for (const auto& req : a->price_requests) {
    for (const auto& m : req.marks()) {
      if (m.metal() == "CU" && m.date().year() == 2023 && m.date().month() == 3) {
        EXPECT_EQ(m.price_minor_per_t(), 6'287'980);
        found = true;
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST(DemoDataTest, SeedChangesLotsNotDepots) {
  PinkSheet sheet = LoadSheet();
  DemoOptions one, two;
  one.lots = two.lots = 50;
  two.seed = 2;
  auto a = GenerateDemo(one, sheet);
  auto b = GenerateDemo(two, sheet);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(a->depots[0].second, b->depots[0].second));
  EXPECT_NE(a->depots[0].first, b->depots[0].first);  // request ids carry the seed
  EXPECT_NE(a->total_mass_g, b->total_mass_g);
}

TEST(DemoDataTest, RejectsBadOptions) {
  PinkSheet sheet = LoadSheet();
  DemoOptions bad_rate;
  bad_rate.cny_per_usd = "7.1x";
  EXPECT_EQ(GenerateDemo(bad_rate, sheet).status().code(), absl::StatusCode::kInvalidArgument);
  DemoOptions no_lots;
  no_lots.lots = 0;
  EXPECT_EQ(GenerateDemo(no_lots, sheet).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateDemo(DemoOptions(), PinkSheet()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reserve::ctl
