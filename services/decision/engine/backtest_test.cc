#include "services/decision/engine/backtest.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/decision/engine/price_table.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {
namespace {

constexpr int64_t kT = 1'000'000;

const MonthlyPrices& PinkSheet() {
  static const MonthlyPrices* prices = [] {
    std::ifstream in(RESERVE_PINK_SHEET);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<MonthlyPrices> p = LoadPinkSheetCsv(text.str(), {6'900'000, 100});
    EXPECT_TRUE(p.ok()) << p.status();
    return new MonthlyPrices(*std::move(p));
  }();
  return *prices;
}

BacktestConfig FullRun() {
  BacktestConfig c;
  c.first_month = absl::CivilMonth(1960, 1);
  c.last_month = absl::CivilMonth(2023, 3);
  c.budget_minor_per_year = 2'000'000'000'000;  // 20 billion CNY a year
  c.metals = ReferenceBacktestMetals();
  return c;
}

TEST(BacktestTest, SixtyFourYearsOfNineMetalsReconcileWithTheMonthlyRows) {
  const BacktestConfig config = FullRun();
  absl::StatusOr<BacktestResult> r = RunBacktest(config, PinkSheet());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->months, 759);
  ASSERT_EQ(r->rows.size(), 759u * 9);
  ASSERT_EQ(r->totals.size(), 9u);

  int64_t spend = 0, proceeds = 0;
  std::map<int, int64_t> spend_by_year;
  for (size_t i = 0; i < config.metals.size(); ++i) {
    const BacktestTotals& t = r->totals[i];
    ASSERT_EQ(t.metal, config.metals[i].metal);
    int64_t bought = 0, cost = 0, released = 0, sold = 0, below = 0, prices = 0, months = 0;
    int64_t buys_filled = 0, releases_filled = 0;
    int64_t holdings = t.initial_holdings_g;
    for (const BacktestRow& row : r->rows) {
      if (row.metal != t.metal) continue;
      ++months;
      // Each row continues the previous one.
      holdings += row.bought_g - row.released_g;
      ASSERT_EQ(row.holdings_g, holdings) << t.metal << " " << row.month;
      ASSERT_GE(row.holdings_g, 0);
      ASSERT_EQ(row.cover_days,
                *MulDiv(row.holdings_g, 365, config.metals[i].consumption_g_per_year));
      ASSERT_EQ(row.below_target, row.holdings_g < row.target_g);
      if (row.filled) {
        ASSERT_NE(row.action, Action::kHold);
        ASSERT_EQ(row.bought_g + row.released_g, row.recommended_g);
      } else {
        ASSERT_EQ(row.bought_g + row.released_g, 0);
      }
      ASSERT_EQ(row.spend_minor, *ValueOfMass(row.bought_g, row.price_minor_per_t));
      ASSERT_EQ(row.proceeds_minor, *ValueOfMass(row.released_g, row.price_minor_per_t));
      bought += row.bought_g;
      cost += row.spend_minor;
      released += row.released_g;
      sold += row.proceeds_minor;
      below += row.below_target ? 1 : 0;
      prices += row.price_minor_per_t;
      buys_filled += row.filled && row.action == Action::kBuy;
      releases_filled += row.filled && row.action == Action::kRelease;
      spend_by_year[row.month.year()] += row.spend_minor;
      ASSERT_EQ(row.avg_market_minor_per_t, *MulDiv(prices, 1, months));
      ASSERT_EQ(row.avg_cost_minor_per_t, bought > 0 ? *MulDiv(cost, kT, bought) : 0);
    }
    EXPECT_EQ(t.months, 759);
    EXPECT_EQ(t.bought_g, bought) << t.metal;
    EXPECT_EQ(t.spend_minor, cost) << t.metal;
    EXPECT_EQ(t.released_g, released) << t.metal;
    EXPECT_EQ(t.proceeds_minor, sold) << t.metal;
    EXPECT_EQ(t.final_holdings_g, t.initial_holdings_g + bought - released) << t.metal;
    EXPECT_EQ(t.final_holdings_g, holdings) << t.metal;
    EXPECT_EQ(t.months_below_target, below) << t.metal;
    EXPECT_EQ(t.buys_filled, buys_filled) << t.metal;
    EXPECT_EQ(t.releases_filled, releases_filled) << t.metal;
    EXPECT_EQ(t.avg_market_minor_per_t, *MulDiv(prices, 1, 759)) << t.metal;
    if (bought > 0) {
      EXPECT_EQ(t.avg_cost_minor_per_t, *MulDiv(cost, kT, bought)) << t.metal;
      EXPECT_EQ(t.cost_vs_market_bp, *MulDiv(t.avg_cost_minor_per_t - t.avg_market_minor_per_t,
                                             10'000, t.avg_market_minor_per_t));
    }
    spend += cost;
    proceeds += sold;
  }
  EXPECT_EQ(r->spend_minor, spend);
  EXPECT_EQ(r->proceeds_minor, proceeds);
  // Proceeds do not fund purchases here: every year's budget is spent or lapses, exactly.
  EXPECT_EQ(spend + r->budget_lapsed_minor, 64 * config.budget_minor_per_year);
  for (const auto& [year, spent] : spend_by_year) {
    EXPECT_LE(spent, config.budget_minor_per_year) << year;
  }
  // The run must have done something worth reconciling.
  int64_t buys = 0, releases = 0, unfilled = 0;
  for (const BacktestTotals& t : r->totals) {
    buys += t.buys_filled;
    releases += t.releases_filled;
    unfilled += t.buys_unfilled + t.releases_unfilled;
  }
  EXPECT_GT(buys, 100);
  EXPECT_GT(releases, 50);
  EXPECT_GT(unfilled, 20);

  const std::string csv = BacktestRowsCsv(*r);
  const std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 759u * 9 + 1);
  EXPECT_TRUE(absl::StartsWith(lines[1], "1960-01,AL,")) << lines[1];
  const std::vector<std::string> totals = absl::StrSplit(BacktestTotalsCsv(*r), '\n');
  EXPECT_EQ(totals.size(), 11u);  // header, nine metals, and the empty string after the last LF
  const std::string svg = BacktestSvg(*r);
  EXPECT_TRUE(absl::StartsWith(svg, "<?xml"));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>\n"));
  int panels = 0;
  for (size_t at = svg.find("<g>"); at != std::string::npos; at = svg.find("<g>", at + 1)) {
    ++panels;
  }
  EXPECT_EQ(panels, 9);
}

TEST(BacktestTest, ProceedsCanFundPurchasesAndStillReconcile) {
  BacktestConfig config = FullRun();
  config.release_proceeds_to_budget = true;
  absl::StatusOr<BacktestResult> r = RunBacktest(config, PinkSheet());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->proceeds_minor, 0);
  EXPECT_EQ(r->spend_minor + r->budget_lapsed_minor,
            64 * config.budget_minor_per_year + r->proceeds_minor);
}

TEST(BacktestTest, DeterministicAndFreeOfLookAhead) {
  const BacktestConfig config = FullRun();
  absl::StatusOr<BacktestResult> a = RunBacktest(config, PinkSheet());
  absl::StatusOr<BacktestResult> b = RunBacktest(config, PinkSheet());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(BacktestRowsCsv(*a), BacktestRowsCsv(*b));
  EXPECT_EQ(BacktestSvg(*a), BacktestSvg(*b));
  // Double every price from 2000-01 on: nothing decided before 2000-01 may change, and the
  // decision for 2000-01 itself (made on 1999 data) may not either.
  MonthlyPrices changed = PinkSheet();
  const size_t from = static_cast<size_t>(absl::CivilMonth(2000, 1) - changed.months.front());
  for (std::vector<int64_t>& series : changed.price_minor_per_t) {
    for (size_t j = from; j < series.size(); ++j) series[j] *= 2;
  }
  absl::StatusOr<BacktestResult> c = RunBacktest(config, changed);
  ASSERT_TRUE(c.ok()) << c.status();
  const size_t rows_before = from * config.metals.size();
  for (size_t k = 0; k < rows_before + config.metals.size(); ++k) {
    const BacktestRow& x = a->rows[k];
    const BacktestRow& y = c->rows[k];
    ASSERT_EQ(x.action, y.action) << x.month << " " << x.metal;
    ASSERT_EQ(x.recommended_g, y.recommended_g) << x.month << " " << x.metal;
    ASSERT_EQ(x.price_limit_minor_per_t, y.price_limit_minor_per_t) << x.month << " " << x.metal;
    if (k < rows_before) {
      ASSERT_EQ(x.holdings_g, y.holdings_g) << x.month << " " << x.metal;
    }
  }
}

TEST(BacktestTest, BudgetResetsInJanuaryAndUnspentMoneyLapses) {
  // One metal, four months across a year end, 365 t a year of consumption at 100 CNY/t.
  MonthlyPrices p;
  p.months = {absl::CivilMonth(2020, 11), absl::CivilMonth(2020, 12), absl::CivilMonth(2021, 1),
              absl::CivilMonth(2021, 2)};
  p.metals = {"CU"};
  p.price_minor_per_t = {{10'000, 10'000, 10'000, 10'000}};
  BacktestConfig c;
  c.first_month = p.months.front();
  c.last_month = p.months.back();
  c.rules.percentile_min_marks = 2;
  c.rules.order_granularity_g = kT;
  c.rules.market_impact_share_bp = 10'000;  // a whole month's consumption may be bought
  c.budget_minor_per_year = 150'000;        // 1,500 CNY: 15 t at 100 CNY/t (+2% limit: 14 t)
  BacktestMetal m;
  m.metal = "CU";
  m.consumption_g_per_year = 365 * kT;  // 1 t a day
  m.cover_min_days = 30;
  m.cover_target_days = 60;
  m.cover_max_days = 90;
  m.initial_holdings_g = 0;
  m.acquisition_ceiling_g_per_year = 1'000 * kT;
  m.disposal_ceiling_g_per_year = 0;
  c.metals = {m};
  absl::StatusOr<BacktestResult> r = RunBacktest(c, p);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rows.size(), 4u);
  // 2020-11: no earlier price -> NO_PRICE, HOLD.
  EXPECT_EQ(r->rows[0].rule_ids, "NO_PRICE");
  EXPECT_EQ(r->rows[0].bought_g, 0);
  // 2020-12: below min; limit 102 CNY/t; 1,500 CNY buys 14.705882 t -> 14 t for 1,400 CNY.
  EXPECT_EQ(r->rows[1].action, Action::kBuy);
  EXPECT_EQ(r->rows[1].bought_g, 14 * kT);
  EXPECT_EQ(r->rows[1].spend_minor, 140'000);
  EXPECT_EQ(r->rows[1].budget_remaining_minor, 10'000);
  // 2021-01: a new year's 1,500 CNY; the 100 CNY left in 2020 lapsed.
  EXPECT_EQ(r->rows[2].bought_g, 14 * kT);
  EXPECT_EQ(r->rows[2].budget_remaining_minor, 10'000);
  // 2021-02: 100 CNY left buys nothing (less than a tonne at 102): BUDGET_LIMIT, HOLD.
  EXPECT_EQ(r->rows[3].action, Action::kHold);
  EXPECT_TRUE(absl::StrContains(r->rows[3].rule_ids, "BUDGET_LIMIT")) << r->rows[3].rule_ids;
  EXPECT_EQ(r->budget_lapsed_minor, 10'000 + 10'000);
  EXPECT_EQ(r->totals[0].final_holdings_g, 28 * kT);
  EXPECT_EQ(r->totals[0].months_below_target, 4);
}

TEST(BacktestTest, InvalidConfigNamesTheField) {
  struct Bad {
    const char* field;
    void (*mutate)(BacktestConfig&, MonthlyPrices&);
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  };
  const Bad cases[] = {
      {"config.rules.order_granularity_g",
       [](BacktestConfig& c, MonthlyPrices&) { c.rules.order_granularity_g = 0; }},
      {"config.first_month",
       [](BacktestConfig& c, MonthlyPrices&) { c.first_month = absl::CivilMonth(1959, 12); }},
      {"config.last_month",
       [](BacktestConfig& c, MonthlyPrices&) { c.last_month = absl::CivilMonth(2023, 4); }},
      {"config.last_month",
       [](BacktestConfig& c, MonthlyPrices&) { c.last_month = absl::CivilMonth(1959, 1); }},
      {"config.budget_minor_per_year",
       [](BacktestConfig& c, MonthlyPrices&) { c.budget_minor_per_year = -1; }},
      {"config.currency", [](BacktestConfig& c, MonthlyPrices&) { c.currency = "cny"; }},
      {"config.metals", [](BacktestConfig& c, MonthlyPrices&) { c.metals.clear(); }},
      {"config.metals",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals.resize(kMaxMetals + 1, c.metals[0]); },
       absl::StatusCode::kResourceExhausted},
      {"config.metals[2].metal",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[2].metal = "CO"; }},
      {"config.metals[2].metal",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[2].metal = "AL"; }},
      {"config.metals[1].initial_holdings_g",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[1].initial_holdings_g = -1; }},
      {"config.metals[1].acquisition_ceiling_g_per_year",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[1].acquisition_ceiling_g_per_year = -1; }},
      {"config.metals[1].disposal_ceiling_g_per_year",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[1].disposal_ceiling_g_per_year = -1; }},
      {"config.metals[3].consumption_g_per_year",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[3].consumption_g_per_year = 0; }},
      {"config.metals[3].cover_target_days",
       [](BacktestConfig& c, MonthlyPrices&) { c.metals[3].cover_target_days = 1; }},
      {"config.metals[4].band.ceiling_minor_per_t",
       [](BacktestConfig& c, MonthlyPrices&) {
         c.metals[4].band = PriceBand{10, 5, 0, 0};
       }},
      {"config.metals[4].capacity_utilisation[0].utilisation_bp",
       [](BacktestConfig& c, MonthlyPrices&) {
         c.metals[4].capacity_utilisation = {{absl::CivilDay(2000, 1, 1), -5}};
       }},
      {"prices.months", [](BacktestConfig&, MonthlyPrices& p) { p.months.clear(); }},
      {"prices.months[2]", [](BacktestConfig&, MonthlyPrices& p) { p.months[2] = p.months[1]; }},
      {"prices.price_minor_per_t",
       [](BacktestConfig&, MonthlyPrices& p) { p.price_minor_per_t.pop_back(); }},
      {"prices.price_minor_per_t[0]",
       [](BacktestConfig&, MonthlyPrices& p) { p.price_minor_per_t[0].pop_back(); }},
      {"prices.price_minor_per_t[1][3]",
       [](BacktestConfig&, MonthlyPrices& p) { p.price_minor_per_t[1][3] = 0; }},
  };
  for (const Bad& b : cases) {
    BacktestConfig config = FullRun();
    MonthlyPrices prices = PinkSheet();
    b.mutate(config, prices);
    absl::StatusOr<BacktestResult> r = RunBacktest(config, prices);
    EXPECT_EQ(r.status().code(), b.code) << b.field << ": " << r.status();
    EXPECT_EQ(FieldOf(r.status()), b.field) << r.status();
  }
}

}  // namespace
}  // namespace reserve::decision::engine
