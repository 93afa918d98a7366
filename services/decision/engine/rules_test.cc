#include "services/decision/engine/rules.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve::decision::engine {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kT = 1'000'000;  // grams per tonne

// 25 monthly marks ending 2021-06-01: price(i) for i = 0..24, months 2019-06..2021-06.
std::vector<PriceMark> Monthly(int64_t (*price)(int64_t)) {
  std::vector<PriceMark> out;
  for (int64_t i = 0; i < 25; ++i) {
    out.push_back({absl::CivilDay(absl::CivilMonth(2019, 6) + i), price(i)});
  }
  return out;
}

MetalState Base(const std::string& code, int64_t consumption_t, int64_t holdings_t) {
  MetalState m;
  m.metal = code;
  m.holdings_g = holdings_t * kT;
  m.consumption_g_per_year = consumption_t * kT;
  m.cover_min_days = 30;
  m.cover_target_days = 60;
  m.cover_max_days = 90;
  m.acquisition_ceiling_g = 1'000'000 * kT;
  m.disposal_ceiling_g = 1'000'000 * kT;
  return m;
}

// The fixed data set of the README's worked example (numbers checked by hand there).
RecommendationInput FixedInput() {
  RecommendationInput in;
  in.as_of = absl::CivilDay(2021, 6, 30);
  in.budget_remaining_minor = 17'169'778'400;
  // AL: 20 days of cover (min 30), rising prices, smelters at 78% of capacity.
  MetalState al = Base("AL", 365'000, 20'000);
  al.price_history = Monthly([](int64_t i) { return 1'000'000 + i * 10'000; });
  al.capacity_utilisation = {{absl::CivilDay(2021, 4, 30), 8'100},
                             {absl::CivilDay(2021, 5, 31), 7'800}};
  // CU: 50 days (target 60), the cheapest price in two years, ceiling nearly used.
  MetalState cu = Base("CU", 730'000, 100'000);
  cu.price_history = Monthly([](int64_t i) { return 2'000'000 - i * 10'000; });
  cu.acquisition_ceiling_g = 100'000 * kT;
  cu.acquired_this_year_g = 95'000 * kT;
  // ZN: 100 days (max 90) at a two-year high; disposal ceiling 5,000 t with 1,000 t used.
  MetalState zn = Base("ZN", 365'000, 100'000);
  zn.price_history = Monthly([](int64_t i) { return 2'000'000 + i * 20'000; });
  zn.disposal_ceiling_g = 5'000 * kT;
  zn.disposed_this_year_g = 1'000 * kT;
  // NI: 70 days, price in the middle of its history and of its band.
  MetalState ni = Base("NI", 365'000, 70'000);
  ni.price_history = Monthly([](int64_t i) { return 1'500'000 + (i * 7 % 25) * 40'000; });
  ni.band = PriceBand{1'000'000, 3'000'000, 0, 0};
  // SN: 70 days, five marks only, price below the band floor, 10 M CNY of funding left.
  MetalState sn = Base("SN", 36'500, 7'000);
  for (int i = 0; i < 5; ++i) {
    sn.price_history.push_back({absl::CivilDay(absl::CivilMonth(2021, 2) + i), 15'000'000});
  }
  sn.band = PriceBand{16'000'000, 30'000'000, 10'000'000'000, 9'000'000'000};
  in.metals = {zn, sn, ni, cu, al};  // not in code order on purpose
  return in;
}

std::vector<std::string> Ids(const Recommendation& r) {
  std::vector<std::string> ids;
  for (const FiredRule& f : r.rules) {
    ids.push_back(f.id);
  }
  return ids;
}

// The value of figure `name` in rule `id` of `r` (fails the test when absent).
int64_t Fig(const Recommendation& r, absl::string_view id, absl::string_view name) {
  for (const FiredRule& f : r.rules) {
    if (f.id != id) continue;
    for (const Figure& fig : f.figures) {
      if (fig.name == name) return fig.value;
    }
  }
  ADD_FAILURE() << "no figure " << name << " in rule " << id << " of " << r.metal;
  return -1;
}

const Recommendation& For(const RecommendationSet& set, absl::string_view metal) {
  for (const Recommendation& r : set.recommendations) {
    if (r.metal == metal) return r;
  }
  static const Recommendation kNone;
  ADD_FAILURE() << "no recommendation for " << metal;
  return kNone;
}

TEST(RulesTest, FixedDataSetIsExplainedWithExactRulesAndFigures) {
  absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, FixedInput());
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->recommendations.size(), 5u);
  std::vector<std::string> order;
  for (const Recommendation& r : set->recommendations) order.push_back(r.metal);
  EXPECT_THAT(order, ElementsAre("AL", "CU", "NI", "SN", "ZN"));

  // AL: below minimum -> BUY to target (40,000 t) and utilisation asks for max; the market
  // impact cap (20% of 30,416.666667 t) cuts it to 6,083.333333 t, whole tonnes: 6,083 t.
  const Recommendation& al = For(*set, "AL");
  EXPECT_EQ(al.action, Action::kBuy);
  EXPECT_THAT(Ids(al), ElementsAre("COVER_BELOW_MIN", "UTILISATION_LOW", "MARKET_IMPACT_CAP"));
  EXPECT_EQ(Fig(al, "COVER_BELOW_MIN", "cover_days"), 20);
  EXPECT_EQ(Fig(al, "COVER_BELOW_MIN", "target_g"), 60'000 * kT);
  EXPECT_EQ(Fig(al, "UTILISATION_LOW", "utilisation_bp"), 7'800);
  EXPECT_EQ(Fig(al, "UTILISATION_LOW", "max_g"), 90'000 * kT);
  EXPECT_EQ(Fig(al, "MARKET_IMPACT_CAP", "quantity_before_g"), 70'000 * kT);
  EXPECT_EQ(Fig(al, "MARKET_IMPACT_CAP", "limit_g"), 6'083'333'333);
  EXPECT_EQ(al.quantity_g, 6'083 * kT);
  EXPECT_EQ(al.price_limit_minor_per_t, 1'264'800);  // 12,400.00 + 2%
  EXPECT_EQ(al.amount_minor, 7'693'778'400);
  EXPECT_EQ(al.signals.percentile_bp, 10'000);
  EXPECT_EQ(al.signals.window_marks, 25);

  // CU: below target at the lowest price in its window -> buy to target, and PRICE_LOW asks
  // for max (180,000 t); the acquisition ceiling leaves 5,000 t.
  const Recommendation& cu = For(*set, "CU");
  EXPECT_EQ(cu.action, Action::kBuy);
  EXPECT_THAT(Ids(cu), ElementsAre("COVER_BELOW_TARGET", "PRICE_LOW", "ACQUISITION_CEILING"));
  EXPECT_EQ(Fig(cu, "COVER_BELOW_TARGET", "cover_days"), 50);
  EXPECT_EQ(Fig(cu, "COVER_BELOW_TARGET", "percentile_bp"), 0);
  EXPECT_EQ(Fig(cu, "PRICE_LOW", "max_g"), 180'000 * kT);
  EXPECT_EQ(Fig(cu, "ACQUISITION_CEILING", "quantity_before_g"), 80'000 * kT);
  EXPECT_EQ(Fig(cu, "ACQUISITION_CEILING", "limit_g"), 5'000 * kT);
  EXPECT_EQ(cu.quantity_g, 5'000 * kT);
  EXPECT_EQ(cu.price_limit_minor_per_t, 1'795'200);
  EXPECT_EQ(cu.amount_minor, 8'976'000'000);

  // NI: in range, 75th percentile, inside its band.
  const Recommendation& ni = For(*set, "NI");
  EXPECT_EQ(ni.action, Action::kHold);
  EXPECT_THAT(Ids(ni), ElementsAre("COVER_IN_RANGE"));
  EXPECT_EQ(ni.signals.percentile_bp, 7'500);
  EXPECT_EQ(ni.quantity_g, 0);
  EXPECT_EQ(ni.price_limit_minor_per_t, 0);

  // SN: below the band floor -> buy to max (2,000 t above holdings) from the band's funding:
  // 1,000,000,000 fen at 153,000.00 CNY/t pays for 65.359477 t; the budget left after AL and
  // CU (500,000,000 fen) for 32.679738 t; whole tonnes: 32 t.
  const Recommendation& sn = For(*set, "SN");
  EXPECT_EQ(sn.action, Action::kBuy);
  EXPECT_THAT(Ids(sn), ElementsAre("PRICE_HISTORY_SHORT", "BAND_BELOW_FLOOR", "BAND_FUNDING_LIMIT",
                                   "BUDGET_LIMIT"));
  EXPECT_EQ(Fig(sn, "PRICE_HISTORY_SHORT", "window_marks"), 5);
  EXPECT_EQ(Fig(sn, "BAND_BELOW_FLOOR", "funding_left_minor"), 1'000'000'000);
  EXPECT_EQ(Fig(sn, "BAND_FUNDING_LIMIT", "quantity_before_g"), 2'000 * kT);
  EXPECT_EQ(Fig(sn, "BAND_FUNDING_LIMIT", "limit_g"), 65'359'477);
  EXPECT_EQ(Fig(sn, "BUDGET_LIMIT", "limit_g"), 32'679'738);
  EXPECT_EQ(sn.quantity_g, 32 * kT);
  EXPECT_EQ(sn.price_limit_minor_per_t, 15'300'000);
  EXPECT_EQ(sn.amount_minor, 489'600'000);
  EXPECT_EQ(sn.band_amount_minor, 489'600'000);
  EXPECT_FALSE(sn.signals.percentile_bp.has_value());

  // ZN: above max at a two-year high -> release to target (40,000 t); the disposal ceiling
  // leaves 4,000 t. The price limit is the least to accept: 24,800.00 - 2%.
  const Recommendation& zn = For(*set, "ZN");
  EXPECT_EQ(zn.action, Action::kRelease);
  EXPECT_THAT(Ids(zn), ElementsAre("COVER_ABOVE_MAX", "PRICE_HIGH_RELEASE", "DISPOSAL_CEILING"));
  EXPECT_EQ(Fig(zn, "COVER_ABOVE_MAX", "cover_days"), 100);
  EXPECT_EQ(Fig(zn, "PRICE_HIGH_RELEASE", "percentile_bp"), 10'000);
  EXPECT_EQ(Fig(zn, "DISPOSAL_CEILING", "quantity_before_g"), 40'000 * kT);
  EXPECT_EQ(zn.quantity_g, 4'000 * kT);
  EXPECT_EQ(zn.price_limit_minor_per_t, 2'430'400);
  EXPECT_EQ(zn.amount_minor, 9'721'600'000);

  EXPECT_EQ(set->budget_committed_minor, 7'693'778'400 + 8'976'000'000 + 489'600'000);
  // What is left is the 0.679738 t of SN that whole tonnes could not buy.
  EXPECT_EQ(FixedInput().budget_remaining_minor - set->budget_committed_minor, 10'400'000);
}

TEST(RulesTest, ExplanationReadsAsSentencesWithTheFigures) {
  absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, FixedInput());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(For(*set, "ZN").explanation,
            "ZN: RELEASE 4,000 t at least 24,304.00 CNY/t (97,216,000.00 CNY). Cover 100 days "
            "is above the maximum of 90 days (100,000 t held, 90,000 t at the maximum): release "
            "down to the maximum. Price 24,800.00 CNY/t is above 100.00% of the 24 other marks "
            "in its window (release at 90.00% or more) and cover is above target: release down "
            "to the target of 60 days (60,000 t). The annual disposal ceiling is 5,000 t and "
            "1,000 t is already released this year: 40,000 t cut to 4,000 t.");
  EXPECT_EQ(For(*set, "NI").explanation,
            "NI: HOLD. Cover 70 days is within 30 days..90 days and no price, band or "
            "utilisation rule calls for action.");
}

TEST(RulesTest, DeterministicWhateverTheInputOrder) {
  const RecommendationInput in = FixedInput();
  absl::StatusOr<RecommendationSet> first = Recommend(RuleSet{}, in);
  ASSERT_TRUE(first.ok()) << first.status();
  const unsigned seed = std::random_device{}();
  std::printf("DeterministicWhateverTheInputOrder seed=%u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 20; ++round) {
    RecommendationInput shuffled = in;
    std::shuffle(shuffled.metals.begin(), shuffled.metals.end(), rng);
    absl::StatusOr<RecommendationSet> again = Recommend(RuleSet{}, shuffled);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *first) << "seed " << seed << " round " << round;
  }
}

TEST(RulesTest, MarksAfterTheDateAreIgnored) {
  RecommendationInput in = FixedInput();
  absl::StatusOr<RecommendationSet> before = Recommend(RuleSet{}, in);
  for (MetalState& m : in.metals) {
    m.price_history.push_back({absl::CivilDay(2021, 7, 1), 1});  // a crash tomorrow
    m.capacity_utilisation.push_back({absl::CivilDay(2021, 7, 1), 0});
  }
  absl::StatusOr<RecommendationSet> after = Recommend(RuleSet{}, in);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(*before, *after);
}

// One metal alone, 30/60/90 days of 365,000 t/year (1,000 t a day), 25 monthly marks.
RecommendationInput One(int64_t holdings_t, int64_t (*price)(int64_t)) {
  RecommendationInput in;
  in.as_of = absl::CivilDay(2021, 6, 30);
  in.budget_remaining_minor = 1'000'000'000'000;
  MetalState m = Base("CU", 365'000, holdings_t);
  m.price_history = Monthly(price);
  in.metals = {m};
  return in;
}

int64_t Rising(int64_t i) { return 1'000'000 + i * 10'000; }
int64_t Falling(int64_t i) { return 2'000'000 - i * 10'000; }

TEST(RulesTest, BelowTargetAtAHighPriceDefers) {
  absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, One(50'000, Rising));
  ASSERT_TRUE(set.ok()) << set.status();
  const Recommendation& r = set->recommendations[0];
  EXPECT_EQ(r.action, Action::kHold);
  EXPECT_THAT(Ids(r), ElementsAre("PRICE_HIGH_DEFER"));
  EXPECT_EQ(Fig(r, "PRICE_HIGH_DEFER", "percentile_bp"), 10'000);
  EXPECT_EQ(Fig(r, "PRICE_HIGH_DEFER", "percentile_limit_bp"), 5'000);
}

TEST(RulesTest, AboveTheBandCeilingReleasesToMinimumAndBelowFloorBlocksRelease) {
  RecommendationInput in = One(50'000, Falling);  // price 1,760,000
  in.metals[0].band = PriceBand{500'000, 1'700'000, 0, 0};
  absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, in);
  ASSERT_TRUE(set.ok()) << set.status();
  const Recommendation& r = set->recommendations[0];
  EXPECT_EQ(r.action, Action::kRelease);
  EXPECT_THAT(Ids(r), ElementsAre("BAND_ABOVE_CEILING", "MARKET_IMPACT_CAP"));
  EXPECT_EQ(r.quantity_g, 6'083 * kT);              // 20,000 t wanted, one month's cap
  EXPECT_EQ(r.price_limit_minor_per_t, 1'724'800);  // 17,600.00 - 2%, above the floor

  // Above max cover but below the band floor: no release (and max cover: no buy either).
  in = One(100'000, Falling);
  in.metals[0].band = PriceBand{1'800'000, 2'500'000, 1'000'000'000, 0};
  set = Recommend(RuleSet{}, in);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->recommendations[0].action, Action::kHold);
  EXPECT_THAT(Ids(set->recommendations[0]), ElementsAre("COVER_IN_RANGE"));
}

TEST(RulesTest, NoPriceHolds) {
  RecommendationInput in = One(10'000, Rising);
  in.as_of = absl::CivilDay(2019, 5, 31);  // before the first mark
  absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, in);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->recommendations[0].action, Action::kHold);
  EXPECT_THAT(Ids(set->recommendations[0]), ElementsAre("NO_PRICE"));
  EXPECT_EQ(set->budget_committed_minor, 0);
}

TEST(RulesTest, WholeUnitsReachTargetsButNeverPassOtherLevels) {
  RuleSet rules;
  rules.order_granularity_g = 100 * kT;
  // At the 29.17th percentile only the 50 t to target are wanted: one whole unit reaches it.
  RecommendationInput in =
      One(59'950, [](int64_t i) { return 1'000'000 + (i * 18 % 25) * 10'000; });
  absl::StatusOr<RecommendationSet> set = Recommend(rules, in);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->recommendations[0].signals.percentile_bp, 2'917);  // 7 of 24 below
  EXPECT_EQ(set->recommendations[0].action, Action::kBuy);
  EXPECT_THAT(Ids(set->recommendations[0]), ElementsAre("COVER_BELOW_TARGET"));
  EXPECT_EQ(set->recommendations[0].quantity_g, 100 * kT);
  // At the lowest price PRICE_LOW asks for max (30,050 t): the market impact cap (6,083.33 t)
  // cuts it, and whole 100 t units round the cut down.
  set = Recommend(rules, One(59'950, Falling));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->recommendations[0].quantity_g, 6'000 * kT);
  // 50 t short of max: less than a unit below it, so nothing.
  set = Recommend(rules, One(89'950, Falling));
  ASSERT_TRUE(set.ok()) << set.status();
  const Recommendation& r = set->recommendations[0];
  EXPECT_EQ(r.action, Action::kHold);
  EXPECT_THAT(Ids(r), ElementsAre("PRICE_LOW", "BELOW_GRANULARITY"));
  EXPECT_EQ(Fig(r, "BELOW_GRANULARITY", "quantity_before_g"), 50 * kT);
}

TEST(RulesTest, StaleUtilisationIsIgnored) {
  RecommendationInput in = One(70'000, [](int64_t i) { return 1'500'000 + (i * 7 % 25) * 40'000; });
  in.metals[0].capacity_utilisation = {{absl::CivilDay(2021, 3, 1), 7'000}};  // 121 days old
  absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, in);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->recommendations[0].signals.utilisation_bp.has_value());
  EXPECT_THAT(Ids(set->recommendations[0]), ElementsAre("COVER_IN_RANGE"));
  in.metals[0].capacity_utilisation.push_back({absl::CivilDay(2021, 6, 1), 7'999});
  set = Recommend(RuleSet{}, in);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(Ids(set->recommendations[0]), ElementsAre("UTILISATION_LOW", "MARKET_IMPACT_CAP"));
}

// --- invalid input: each names its field ---

struct BadCase {
  const char* field;
  void (*mutate)(RecommendationInput&);
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
};

TEST(RulesTest, InvalidInputNamesTheField) {
  const BadCase cases[] = {
      {"budget_remaining_minor", [](RecommendationInput& in) { in.budget_remaining_minor = -1; }},
      {"currency", [](RecommendationInput& in) { in.currency = "yuan"; }},
      {"metals", [](RecommendationInput& in) { in.metals.clear(); }},
      {"metals", [](RecommendationInput& in) { in.metals.resize(kMaxMetals + 1, in.metals[0]); },
       absl::StatusCode::kResourceExhausted},
      {"metals[0].metal", [](RecommendationInput& in) { in.metals[0].metal = "zn"; }},
      {"metals[1].metal", [](RecommendationInput& in) { in.metals[1].metal = "ZN"; }},
      {"metals[0].holdings_g", [](RecommendationInput& in) { in.metals[0].holdings_g = -5; }},
      {"metals[2].consumption_g_per_year",
       [](RecommendationInput& in) { in.metals[2].consumption_g_per_year = 0; }},
      {"metals[0].cover_target_days",
       [](RecommendationInput& in) { in.metals[0].cover_target_days = 29; }},
      {"metals[0].cover_max_days",
       [](RecommendationInput& in) { in.metals[0].cover_max_days = 59; }},
      {"metals[0].cover_min_days",
       [](RecommendationInput& in) { in.metals[0].cover_min_days = -1; }},
      {"metals[0].acquired_this_year_g",
       [](RecommendationInput& in) { in.metals[0].acquired_this_year_g = -1; }},
      {"metals[0].disposal_ceiling_g",
       [](RecommendationInput& in) { in.metals[0].disposal_ceiling_g = kMaxMassG + 1; }},
      {"metals[1].band.ceiling_minor_per_t",
       [](RecommendationInput& in) { in.metals[1].band->ceiling_minor_per_t = 16'000'000; }},
      {"metals[1].band.funding_used_minor",
       [](RecommendationInput& in) { in.metals[1].band->funding_used_minor = 10'000'000'001; }},
      {"metals[2].band.floor_minor_per_t",
       [](RecommendationInput& in) { in.metals[2].band->floor_minor_per_t = 0; }},
      {"metals[3].price_history[4].date",
       [](RecommendationInput& in) {
         in.metals[3].price_history[4].date = in.metals[3].price_history[3].date;
       }},
      {"metals[3].price_history[0].price_minor_per_t",
       [](RecommendationInput& in) { in.metals[3].price_history[0].price_minor_per_t = 0; }},
      {"metals[4].capacity_utilisation[1].utilisation_bp",
       [](RecommendationInput& in) { in.metals[4].capacity_utilisation[1].utilisation_bp = -1; }},
      {"metals[4].capacity_utilisation[1].date",
       [](RecommendationInput& in) {
         in.metals[4].capacity_utilisation[1].date = absl::CivilDay(2020, 1, 1);
       }},
      {"metals[4].price_history",
       [](RecommendationInput& in) {
         in.metals[4].price_history.resize(kMaxPriceMarks + 1, in.metals[4].price_history[0]);
       },
       absl::StatusCode::kResourceExhausted},
  };
  for (const BadCase& c : cases) {
    RecommendationInput in = FixedInput();
    c.mutate(in);
    absl::StatusOr<RecommendationSet> set = Recommend(RuleSet{}, in);
    EXPECT_EQ(set.status().code(), c.code) << c.field << ": " << set.status();
    EXPECT_EQ(FieldOf(set.status()), c.field) << set.status();
  }
}

TEST(RulesTest, InvalidRuleSetNamesTheField) {
  struct RuleCase {
    const char* field;
    void (*mutate)(RuleSet&);
  };
  const RuleCase cases[] = {
      {"rules.buy_percentile_max_bp", [](RuleSet& r) { r.buy_percentile_max_bp = 10'001; }},
      {"rules.opportunity_percentile_max_bp",
       [](RuleSet& r) { r.opportunity_percentile_max_bp = 6'000; }},
      {"rules.release_percentile_min_bp", [](RuleSet& r) { r.release_percentile_min_bp = 4'000; }},
      {"rules.percentile_window_months", [](RuleSet& r) { r.percentile_window_months = -1; }},
      {"rules.percentile_min_marks", [](RuleSet& r) { r.percentile_min_marks = 1; }},
      {"rules.utilisation_trigger_bp", [](RuleSet& r) { r.utilisation_trigger_bp = 10'001; }},
      {"rules.utilisation_max_age_days", [](RuleSet& r) { r.utilisation_max_age_days = -1; }},
      {"rules.market_impact_share_bp", [](RuleSet& r) { r.market_impact_share_bp = -1; }},
      {"rules.buy_price_tolerance_bp", [](RuleSet& r) { r.buy_price_tolerance_bp = 10'001; }},
      {"rules.release_price_discount_bp", [](RuleSet& r) { r.release_price_discount_bp = 10'000; }},
      {"rules.order_granularity_g", [](RuleSet& r) { r.order_granularity_g = 0; }},
  };
  for (const RuleCase& c : cases) {
    RuleSet rules;
    c.mutate(rules);
    absl::StatusOr<RecommendationSet> set = Recommend(rules, FixedInput());
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(FieldOf(set.status()), c.field) << set.status();
  }
}

TEST(RulesTest, ExtremeValuesWithinLimitsDoNotOverflow) {
  RecommendationInput in;
  in.as_of = absl::CivilDay(2021, 6, 30);
  in.budget_remaining_minor = kMaxMoneyMinor;
  MetalState m = Base("AU", 1, 0);
  m.holdings_g = kMaxMassG;
  m.consumption_g_per_year = kMaxMassG;
  m.cover_min_days = 0;
  m.cover_target_days = 0;
  m.cover_max_days = 0;
  m.disposal_ceiling_g = kMaxMassG;
  for (int64_t i = 0; i < 30; ++i) {
    m.price_history.push_back({absl::CivilDay(absl::CivilMonth(2019, 1) + i), kMaxPriceMinorPerT});
  }
  in.metals = {m};
  RuleSet rules;
  rules.market_impact_share_bp = kBasisPoints;
  rules.release_price_discount_bp = 0;
  absl::StatusOr<RecommendationSet> set = Recommend(rules, in);
  ASSERT_TRUE(set.ok()) << set.status();
  const Recommendation& r = set->recommendations[0];
  EXPECT_EQ(r.action, Action::kRelease);
  EXPECT_EQ(r.quantity_g, kMaxMassG / 12 / kT * kT);
  EXPECT_GT(r.amount_minor, 0);

  // And buying at the top price with the top budget.
  in.metals[0].holdings_g = 0;
  in.metals[0].cover_target_days = kMaxCoverDays;
  in.metals[0].cover_max_days = kMaxCoverDays;
  rules.buy_price_tolerance_bp = kBasisPoints;
  set = Recommend(rules, in);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->recommendations[0].action, Action::kBuy);
  EXPECT_LE(set->budget_committed_minor, kMaxMoneyMinor);
}

}  // namespace
}  // namespace reserve::decision::engine
