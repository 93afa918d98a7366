#include "services/decision/engine/auction.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/decision/engine/rules.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kT = 1'000'000;

absl::Time At(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2021, 7, 5, hour, minute), absl::UTCTimeZone());
}

AuctionRules Rules() {
  AuctionRules r;
  r.registration_cutoff = absl::CivilDay(2021, 6, 1);
  r.deposit_required_minor = 500'000'000;  // 5 M CNY
  r.bidding_opens_at = At(9, 0);
  r.bidding_closes_at = At(11, 0);
  r.bidder_cap_g = 300 * kT;
  return r;
}

Bidder Co(std::string id, std::string group, absl::CivilDay registered,
          int64_t deposit = 500'000'000, bool manufacturer = true) {
  return Bidder{std::move(id), std::move(group), manufacturer, registered, deposit};
}

struct Case {
  AuctionRules rules = Rules();
  std::vector<AuctionLot> lots;
  std::vector<Bidder> bidders;
  std::vector<Bid> bids;
};

// The hand-computed case (README "Auction: a worked example").
Case HandCase() {
  Case c;
  c.lots = {
      {"L3", "AL", 250 * kT, 1'900'000}, {"L1", "CU", 150 * kT, 6'800'000},
      {"L2", "CU", 150 * kT, 6'800'000}, {"L4", "ZN", 100 * kT, 2'200'000},
      {"L6", "AL", 200 * kT, 1'900'000}, {"L5", "AL", 200 * kT, 1'900'000},
  };
  c.bidders = {
      Co("A", "GA", absl::CivilDay(2021, 3, 1)),
      Co("B", "GB", absl::CivilDay(2021, 2, 1)),
      Co("B2", "GB", absl::CivilDay(2021, 4, 1)),                     // second company of group GB
      Co("C", "GC", absl::CivilDay(2021, 1, 1), 500'000'000, false),  // a trader
      Co("D", "GD", absl::CivilDay(2021, 6, 1)),                // registered on the cut-off day
      Co("E", "GE", absl::CivilDay(2021, 1, 10), 100'000'000),  // deposit short
      Co("F", "GF", absl::CivilDay(2021, 5, 1)),
      Co("G", "GG", absl::CivilDay(2021, 5, 2)),
  };
  c.bids = {
      {"b1", "A", "L1", 6'900'000, At(9, 10), 1},
      {"b2", "B", "L1", 6'900'000, At(9, 5), 2},  // same price as b1, earlier: wins
      {"b3", "F", "L1", 6'850'000, At(9, 20), 3},
      {"b4", "B", "L2", 7'000'000, At(9, 30), 4},  // B reaches its 300 t cap
      {"b5", "A", "L2", 6'950'000, At(9, 31), 5},
      {"b6", "B", "L3", 2'000'000, At(9, 40), 6},  // top on L3 but B is at its cap
      {"b7", "A", "L3", 1'950'000, At(9, 41), 7},
      {"b8", "B2", "L3", 2'100'000, At(9, 42), 8},
      {"b9", "C", "L3", 2'500'000, At(9, 43), 9},
      {"b10", "F", "L3", 1'850'000, At(9, 44), 10},
      {"b11", "A", "L6", 2'000'000, At(9, 50), 11},
      {"b12", "B", "L6", 1'950'000, At(9, 51), 12},
      {"b13", "F", "L4", 2'300'000, At(11, 0), 13},  // the window closes at 11:00
      {"b14", "F", "L4", 2'250'000, At(8, 59), 14},
      {"b15", "A", "L9", 9'000'000, At(9, 15), 15},
      {"b16", "Z", "L1", 9'000'000, At(9, 15), 16},
      {"b17", "D", "L1", 9'000'000, At(9, 15), 17},
      {"b18", "E", "L1", 9'000'000, At(9, 15), 18},
      {"b20", "G", "L5", 2'000'000, At(9, 55), 20},  // same price and time as b19 ...
      {"b19", "F", "L5", 2'000'000, At(9, 55), 19},  // ... smaller sequence: wins
      {"b21", "F", "L6", 1'960'000, At(9, 56), 21},
  };
  return c;
}

absl::StatusOr<AuctionResult> Clear(const Case& c) {
  return ClearAuction(c.rules, c.lots, c.bidders, c.bids);
}

TEST(AuctionTest, HandComputedCaseClearsAsTheRulesSay) {
  absl::StatusOr<AuctionResult> r = Clear(HandCase());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->awards,
              ElementsAre(Award{"L1", "CU", "B", "b2", 150 * kT, 6'900'000, 1'035'000'000},
                          Award{"L2", "CU", "B", "b4", 150 * kT, 7'000'000, 1'050'000'000},
                          Award{"L3", "AL", "A", "b7", 250 * kT, 1'950'000, 487'500'000},
                          Award{"L5", "AL", "F", "b19", 200 * kT, 2'000'000, 400'000'000}));
  EXPECT_THAT(r->unsold, ElementsAre(UnsoldLot{"L4", UnsoldReason::kNoValidBid},
                                     UnsoldLot{"L6", UnsoldReason::kAllBiddersAtCap}));
  EXPECT_THAT(
      r->capped_bids,
      ElementsAre(CappedBid{"b6", "L3", "B", 300 * kT}, CappedBid{"b11", "L6", "A", 250 * kT},
                  CappedBid{"b21", "L6", "F", 200 * kT}, CappedBid{"b12", "L6", "B", 300 * kT}));
  std::vector<std::pair<std::string, Ineligibility>> ineligible;
  for (const IneligibleBidder& b : r->ineligible) ineligible.push_back({b.bidder_id, b.reason});
  EXPECT_THAT(ineligible, ElementsAre(std::pair{"B2", Ineligibility::kGroupDuplicate},
                                      std::pair{"C", Ineligibility::kNotManufacturer},
                                      std::pair{"D", Ineligibility::kRegisteredAfterCutoff},
                                      std::pair{"E", Ineligibility::kDepositNotPaid}));
  EXPECT_EQ(r->ineligible[0].message, "group GB already bids through B (registered 2021-02-01)");
  EXPECT_EQ(r->ineligible[3].message,
            "E paid a deposit of 1,000,000.00 CNY, less than the 5,000,000.00 CNY required");
  std::vector<std::pair<std::string, BidRejection>> rejected;
  for (const RejectedBid& b : r->rejected) rejected.push_back({b.bid_id, b.reason});
  EXPECT_THAT(rejected, ElementsAre(std::pair{"b8", BidRejection::kBidderIneligible},
                                    std::pair{"b9", BidRejection::kBidderIneligible},
                                    std::pair{"b10", BidRejection::kBelowReserve},
                                    std::pair{"b13", BidRejection::kOutsideWindow},
                                    std::pair{"b14", BidRejection::kOutsideWindow},
                                    std::pair{"b15", BidRejection::kUnknownLot},
                                    std::pair{"b16", BidRejection::kUnknownBidder},
                                    std::pair{"b17", BidRejection::kBidderIneligible},
                                    std::pair{"b18", BidRejection::kBidderIneligible}));
  EXPECT_EQ(r->rejected[2].message, "price 18,500.00 CNY/t is below the reserve 19,000.00 CNY/t");
  EXPECT_EQ(r->rejected[3].message,
            "placed at 2021-07-05T11:00:00Z, outside the window [2021-07-05T09:00:00Z, "
            "2021-07-05T11:00:00Z)");
  EXPECT_THAT(r->bidder_totals, ElementsAre(BidderTotal{"A", 250 * kT, 487'500'000},
                                            BidderTotal{"B", 300 * kT, 2'085'000'000},
                                            BidderTotal{"F", 200 * kT, 400'000'000}));
  EXPECT_EQ(r->total_awarded_g, 750 * kT);
  EXPECT_EQ(r->total_amount_minor, 2'972'500'000);
}

TEST(AuctionTest, GroupBidderIsTheEarliestOfTheOtherwiseEligible) {
  Case c = HandCase();
  c.bidders.push_back(Co("H1", "GH", absl::CivilDay(2021, 1, 1), 0));  // earliest, but no deposit
  c.bidders.push_back(Co("H3", "GH", absl::CivilDay(2021, 3, 1)));
  c.bidders.push_back(
      Co("H2", "GH", absl::CivilDay(2021, 3, 1)));  // same day as H3, smaller id: chosen
  absl::StatusOr<AuctionResult> r = Clear(c);
  ASSERT_TRUE(r.ok()) << r.status();
  std::map<std::string, Ineligibility> reasons;
  for (const IneligibleBidder& b : r->ineligible) reasons[b.bidder_id] = b.reason;
  EXPECT_EQ(reasons["H1"], Ineligibility::kDepositNotPaid);
  EXPECT_EQ(reasons.count("H2"), 0u);
  EXPECT_EQ(reasons["H3"], Ineligibility::kGroupDuplicate);
}

TEST(AuctionTest, AmountsAreRoundedHalfAwayFromZero) {
  Case c = HandCase();
  c.lots = {{"L1", "CU", 123'457, 1}};  // 0.123457 t
  c.bids = {{"b1", "A", "L1", 4'050'001, At(10, 0), 1}};
  absl::StatusOr<AuctionResult> r = Clear(c);
  ASSERT_TRUE(r.ok()) << r.status();
  // 123,457 g * 4,050,001 fen/t / 10^6 = 500,000.87... -> 500,001.
  ASSERT_EQ(r->awards.size(), 1u);
  EXPECT_EQ(r->awards[0].amount_minor, *ValueOfMass(123'457, 4'050'001));
  EXPECT_EQ(r->awards[0].amount_minor, 500'001);
}

TEST(AuctionTest, InputOrderDoesNotMatter) {
  const Case c = HandCase();
  absl::StatusOr<AuctionResult> first = Clear(c);
  ASSERT_TRUE(first.ok());
  const unsigned seed = std::random_device{}();
  std::printf("InputOrderDoesNotMatter seed=%u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 20; ++round) {
    Case s = c;
    std::shuffle(s.lots.begin(), s.lots.end(), rng);
    std::shuffle(s.bidders.begin(), s.bidders.end(), rng);
    std::shuffle(s.bids.begin(), s.bids.end(), rng);
    absl::StatusOr<AuctionResult> again = Clear(s);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *first) << "seed " << seed;
  }
}

// --- An independent model: quadratic scans over the raw input, no sorting or maps. ---

struct ModelResult {
  std::map<std::string, std::pair<std::string, int64_t>> awards;  // lot -> (bid, amount)
  std::map<std::string, UnsoldReason> unsold;
  std::map<std::string, BidRejection> rejected;  // bid -> reason
};

bool ModelBasicOk(const AuctionRules& rules, const Bidder& b) {
  return (!rules.require_manufacturer || b.manufacturer) &&
         b.registered_on < rules.registration_cutoff &&
         b.deposit_paid_minor >= rules.deposit_required_minor;
}

bool ModelEligible(const Case& c, const Bidder& b) {
  if (!ModelBasicOk(c.rules, b)) return false;
  for (const Bidder& o : c.bidders) {  // anyone in the group who comes first?
    if (&o == &b || o.corporate_group != b.corporate_group || !ModelBasicOk(c.rules, o)) continue;
    if (o.registered_on < b.registered_on ||
        (o.registered_on == b.registered_on && o.bidder_id < b.bidder_id)) {
      return false;
    }
  }
  return true;
}

ModelResult Model(const Case& c) {
  ModelResult out;
  std::vector<bool> valid(c.bids.size(), false);
  for (size_t i = 0; i < c.bids.size(); ++i) {
    const Bid& bid = c.bids[i];
    const AuctionLot* lot = nullptr;
    for (const AuctionLot& l : c.lots) {
      if (l.lot_id == bid.lot_id) lot = &l;
    }
    const Bidder* bidder = nullptr;
    for (const Bidder& b : c.bidders) {
      if (b.bidder_id == bid.bidder_id) bidder = &b;
    }
    if (lot == nullptr) {
      out.rejected[bid.bid_id] = BidRejection::kUnknownLot;
    } else if (bidder == nullptr) {
      out.rejected[bid.bid_id] = BidRejection::kUnknownBidder;
    } else if (!ModelEligible(c, *bidder)) {
      out.rejected[bid.bid_id] = BidRejection::kBidderIneligible;
    } else if (bid.placed_at < c.rules.bidding_opens_at ||
               bid.placed_at >= c.rules.bidding_closes_at) {
      out.rejected[bid.bid_id] = BidRejection::kOutsideWindow;
    } else if (bid.price_minor_per_t < lot->reserve_price_minor_per_t) {
      out.rejected[bid.bid_id] = BidRejection::kBelowReserve;
    } else {
      valid[i] = true;
    }
  }
  std::map<std::string, int64_t> won_g;
  std::vector<bool> done(c.lots.size(), false);
  for (size_t k = 0; k < c.lots.size(); ++k) {
    size_t next = c.lots.size();  // the smallest id not yet cleared
    for (size_t i = 0; i < c.lots.size(); ++i) {
      if (!done[i] && (next == c.lots.size() || c.lots[i].lot_id < c.lots[next].lot_id)) next = i;
    }
    done[next] = true;
    const AuctionLot& lot = c.lots[next];
    const Bid* best = nullptr;
    bool any_valid = false;
    for (size_t i = 0; i < c.bids.size(); ++i) {
      const Bid& bid = c.bids[i];
      if (!valid[i] || bid.lot_id != lot.lot_id) continue;
      any_valid = true;
      if (won_g[bid.bidder_id] + lot.mass_g > c.rules.bidder_cap_g) continue;
      const bool better = best == nullptr || bid.price_minor_per_t > best->price_minor_per_t ||
                          (bid.price_minor_per_t == best->price_minor_per_t &&
                           (bid.placed_at < best->placed_at ||
                            (bid.placed_at == best->placed_at && bid.sequence < best->sequence)));
      if (better) best = &bid;
    }
    if (best == nullptr) {
      out.unsold[lot.lot_id] =
          any_valid ? UnsoldReason::kAllBiddersAtCap : UnsoldReason::kNoValidBid;
      continue;
    }
    won_g[best->bidder_id] += lot.mass_g;
    // Amount by the rounding rule written out: half away from zero.
    const Int128 num = static_cast<Int128>(lot.mass_g) * best->price_minor_per_t;
    const int64_t amount = static_cast<int64_t>((num + kGramsPerTonne / 2) / kGramsPerTonne);
    out.awards[lot.lot_id] = {best->bid_id, amount};
  }
  return out;
}

Case RandomCase(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c;
  c.rules.bidder_cap_g = pick(1, 8) * 50 * kT;
  c.rules.deposit_required_minor = 100;
  const int lots = pick(1, 12);
  for (int i = 0; i < lots; ++i) {
    c.lots.push_back({absl::StrCat("L", pick(0, 99), "-", i), pick(0, 1) ? "CU" : "AL",
                      pick(1, 5) * 50 * kT + pick(0, 1) * pick(1, 999'999), pick(10, 20) * 1'000});
  }
  const int bidders = pick(1, 10);
  for (int i = 0; i < bidders; ++i) {
    c.bidders.push_back(Co(absl::StrCat("B", i), absl::StrCat("G", pick(0, 4)),
                           absl::CivilDay(2021, 5, pick(25, 31)) + pick(0, 3),
                           pick(0, 5) == 0 ? 50 : 100, pick(0, 6) != 0));
  }
  const int bids = pick(0, 60);
  std::vector<int64_t> sequences(bids);
  for (int i = 0; i < bids; ++i) sequences[i] = i * 3 + pick(0, 2);
  std::shuffle(sequences.begin(), sequences.end(), rng);
  for (int i = 0; i < bids; ++i) {
    const std::string lot = pick(0, 15) == 0 ? "nope" : c.lots[pick(0, lots - 1)].lot_id;
    const std::string bidder = pick(0, 15) == 0 ? "ghost" : absl::StrCat("B", pick(0, bidders - 1));
    c.bids.push_back({absl::StrCat("x", i), bidder, lot, pick(9, 22) * 1'000,
                      At(8 + pick(0, 3), pick(0, 2) * 30), sequences[i]});
  }
  return c;
}

TEST(AuctionTest, MatchesAnIndependentModelOnRandomCases) {
  unsigned seed = std::random_device{}();
  if (const char* env = std::getenv("RESERVE_SEED")) seed = std::strtoul(env, nullptr, 10);
  std::printf("MatchesAnIndependentModelOnRandomCases seed=%u (RESERVE_SEED=%u replays)\n", seed,
              seed);
  std::mt19937 rng(seed);
  int awards = 0, capped = 0;
  for (int round = 0; round < 2'000; ++round) {
    Case c = RandomCase(rng);
    absl::StatusOr<AuctionResult> r = Clear(c);
    ASSERT_TRUE(r.ok()) << r.status() << " seed " << seed << " round " << round;
    const ModelResult m = Model(c);
    ModelResult got;
    for (const Award& a : r->awards) got.awards[a.lot_id] = {a.bid_id, a.amount_minor};
    for (const UnsoldLot& u : r->unsold) got.unsold[u.lot_id] = u.reason;
    for (const RejectedBid& b : r->rejected) got.rejected[b.bid_id] = b.reason;
    ASSERT_EQ(got.awards, m.awards) << "seed " << seed << " round " << round;
    ASSERT_EQ(got.unsold, m.unsold) << "seed " << seed << " round " << round;
    ASSERT_EQ(got.rejected, m.rejected) << "seed " << seed << " round " << round;
    for (const BidderTotal& t : r->bidder_totals) {
      ASSERT_LE(t.awarded_g, c.rules.bidder_cap_g);
    }
    awards += static_cast<int>(r->awards.size());
    capped += static_cast<int>(r->capped_bids.size());
  }
  // The generator must exercise the interesting paths.
  EXPECT_GT(awards, 1'000);
  EXPECT_GT(capped, 100);
}

// --- invalid input: each names its field ---

TEST(AuctionTest, InvalidInputNamesTheField) {
  struct Bad {
    const char* field;
    void (*mutate)(Case&);
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  };
  const Bad cases[] = {
      {"rules.deposit_required_minor", [](Case& c) { c.rules.deposit_required_minor = -1; }},
      {"rules.bidding_closes_at", [](Case& c) { c.rules.bidding_closes_at = At(9, 0); }},
      {"rules.bidder_cap_g", [](Case& c) { c.rules.bidder_cap_g = 0; }},
      {"rules.currency", [](Case& c) { c.rules.currency = ""; }},
      {"lots", [](Case& c) { c.lots.clear(); }},
      {"lots", [](Case& c) { c.lots.resize(kMaxAuctionLots + 1, c.lots[0]); },
       absl::StatusCode::kResourceExhausted},
      {"lots[1].lot_id", [](Case& c) { c.lots[1].lot_id = "L3"; }},
      {"lots[1].lot_id", [](Case& c) { c.lots[1].lot_id = "lot one"; }},
      {"lots[0].lot_id", [](Case& c) { c.lots[0].lot_id = std::string(129, 'x'); }},
      {"lots[2].metal", [](Case& c) { c.lots[2].metal = ""; }},
      {"lots[2].mass_g", [](Case& c) { c.lots[2].mass_g = 0; }},
      {"lots[2].mass_g", [](Case& c) { c.lots[2].mass_g = kMaxAuctionLotMassG + 1; }},
      {"lots[3].reserve_price_minor_per_t",
       [](Case& c) { c.lots[3].reserve_price_minor_per_t = -3; }},
      {"bidders", [](Case& c) { c.bidders.resize(kMaxAuctionBidders + 1, c.bidders[0]); },
       absl::StatusCode::kResourceExhausted},
      {"bidders[2].bidder_id", [](Case& c) { c.bidders[2].bidder_id = "A"; }},
      {"bidders[2].corporate_group", [](Case& c) { c.bidders[2].corporate_group = ""; }},
      {"bidders[4].deposit_paid_minor", [](Case& c) { c.bidders[4].deposit_paid_minor = -1; }},
      {"bids", [](Case& c) { c.bids.resize(kMaxAuctionBids + 1, c.bids[0]); },
       absl::StatusCode::kResourceExhausted},
      {"bids[3].bid_id", [](Case& c) { c.bids[3].bid_id = "b1"; }},
      {"bids[3].bidder_id", [](Case& c) { c.bids[3].bidder_id = ""; }},
      {"bids[3].lot_id", [](Case& c) { c.bids[3].lot_id = "L\n1"; }},
      {"bids[5].price_minor_per_t", [](Case& c) { c.bids[5].price_minor_per_t = 0; }},
      {"bids[5].price_minor_per_t",
       [](Case& c) { c.bids[5].price_minor_per_t = kMaxPriceMinorPerT + 1; }},
      {"bids[6].sequence", [](Case& c) { c.bids[6].sequence = -1; }},
      {"bids[6].sequence", [](Case& c) { c.bids[6].sequence = 1; }},
      {"bids",
       [](Case& c) {  // 1,000 lots of 10,000 t at 10^12 fen/t: 10^19 fen in all
         c.lots.clear();
         c.bids.clear();
         for (int i = 0; i < 1'000; ++i) {
           c.lots.push_back({absl::StrCat("M", i), "CU", kMaxAuctionLotMassG, 1});
           c.bids.push_back(
               {absl::StrCat("m", i), "A", absl::StrCat("M", i), kMaxPriceMinorPerT, At(10, 0), i});
         }
       }},
  };
  for (const Bad& b : cases) {
    Case c = HandCase();
    b.mutate(c);
    absl::StatusOr<AuctionResult> r = Clear(c);
    EXPECT_EQ(r.status().code(), b.code) << b.field << ": " << r.status();
    EXPECT_EQ(FieldOf(r.status()), b.field) << r.status();
  }
}

TEST(AuctionTest, NoBidsLeavesEveryLotUnsold) {
  Case c = HandCase();
  c.bids.clear();
  c.bidders.clear();
  absl::StatusOr<AuctionResult> r = Clear(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->awards, IsEmpty());
  EXPECT_EQ(r->unsold.size(), c.lots.size());
  EXPECT_EQ(r->total_amount_minor, 0);
}

}  // namespace
}  // namespace reserve::decision::engine
