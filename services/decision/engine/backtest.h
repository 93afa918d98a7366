// Backtest (issue 5): run a RuleSet month by month over a historical price table
// (price_table.h) with a consumption assumption, a yearly budget and an initial holding, and
// report what the reserve would have bought, released, held and spent.
//
// The simulation, exactly (one step per month m from first_month to last_month, metals in
// config order for rows):
//  1. In January (and in the first month) the year's budget is reset to budget_minor_per_year
//     (unspent money lapses) and each metal's acquired/disposed-this-year counters go to 0.
//  2. The decision for m is made at the start of the month: Recommend() (rules.h, the same
//     function the live service calls) with as_of = the last day of month m-1 and the price
//     marks of months before m only (no look-ahead). A metal with no earlier mark holds
//     (rule NO_PRICE).
//  3. Execution at month m's average price p (the Pink Sheet monthly average): a BUY fills
//     wholly if p <= its price limit, else not at all; a RELEASE fills wholly if p >= its
//     price limit, else not at all. Cost and proceeds = ValueOfMass(quantity, p). The BUY's
//     quantity was sized against the budget at its limit >= p, so spend never exceeds the
//     budget. The band part of a filled BUY (band_amount_minor, priced at the limit) is
//     charged to the band's funding as MulDiv(band_amount_minor, p, limit), which is at most
//     what Recommend() checked against the funding left.
//  4. Release proceeds are added to the year's budget when release_proceeds_to_budget (the US
//     stockpile funds purchases from sales); otherwise they are only reported.
//  5. End-of-month holdings, cover and "below target" (holdings < target_g) are recorded.
// Every total in BacktestResult equals the sum (or last value) of its monthly rows, exactly;
// the unit tests check that over 1960-2023.
//
// Thread safety: pure; may be called concurrently.
#ifndef RESERVE_SERVICES_DECISION_ENGINE_BACKTEST_H_
#define RESERVE_SERVICES_DECISION_ENGINE_BACKTEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/decision/engine/price_table.h"
#include "services/decision/engine/rules.h"

namespace reserve::decision::engine {

// Longest run: the price table's own limit. Metals per run: as rules.h kMaxMetals.
inline constexpr int64_t kMaxBacktestMonths = static_cast<int64_t>(kMaxPriceTableMonths);

struct BacktestMetal {
  std::string metal;                   // must be a column of the price table
  int64_t consumption_g_per_year = 0;  // > 0, constant over the run
  int64_t initial_holdings_g = 0;      // >= 0
  int64_t cover_min_days = 0;          // as rules.h MetalState
  int64_t cover_target_days = 0;
  int64_t cover_max_days = 0;
  int64_t acquisition_ceiling_g_per_year = 0;  // >= 0, reset each January
  int64_t disposal_ceiling_g_per_year = 0;     // >= 0, reset each January
  // Band; funding_used_minor is the starting point and accumulates over the whole run (a
  // hard, never-replenished limit).
  std::optional<PriceBand> band;
  std::vector<UtilisationMark> capacity_utilisation;  // optional, as rules.h
};

struct BacktestConfig {
  RuleSet rules;
  absl::CivilMonth first_month;  // within the table; first <= last
  absl::CivilMonth last_month;
  int64_t budget_minor_per_year = 0;  // >= 0
  bool release_proceeds_to_budget = false;
  std::string currency = "CNY";       // for explanations and the chart's labels
  std::vector<BacktestMetal> metals;  // 1..kMaxMetals, distinct
};

// One metal in one month.
struct BacktestRow {
  absl::CivilMonth month;
  std::string metal;
  int64_t price_minor_per_t = 0;  // month's average: the execution price
  Action action = Action::kHold;  // the recommendation (filled or not)
  int64_t recommended_g = 0;
  int64_t price_limit_minor_per_t = 0;
  bool filled = false;  // BUY/RELEASE executed (false for HOLD)
  int64_t bought_g = 0;
  int64_t spend_minor = 0;
  int64_t released_g = 0;
  int64_t proceeds_minor = 0;
  int64_t holdings_g = 0;  // end of month
  int64_t cover_days = 0;  // end of month, MulDiv(holdings, 365, consumption)
  int64_t target_g = 0;
  bool below_target = false;           // holdings_g < target_g
  int64_t budget_remaining_minor = 0;  // shared budget left after this month's purchases
  // Running averages up to and including this month (0 while undefined):
  int64_t avg_cost_minor_per_t = 0;    // MulDiv(spend to date, 10^6, bought to date)
  int64_t avg_market_minor_per_t = 0;  // MulDiv(sum of prices to date, 1, months to date)
  std::string rule_ids;                // the fired rules' ids joined by ';'
};

struct BacktestTotals {
  std::string metal;
  int64_t months = 0;
  int64_t initial_holdings_g = 0;
  int64_t bought_g = 0;
  int64_t spend_minor = 0;
  int64_t released_g = 0;
  int64_t proceeds_minor = 0;
  int64_t final_holdings_g = 0;  // = initial + bought - released
  int64_t months_below_target = 0;
  int64_t min_g = 0;  // cover levels in grams (constant: consumption is constant)
  int64_t target_g = 0;
  int64_t max_g = 0;
  int64_t buys_filled = 0;
  int64_t buys_unfilled = 0;
  int64_t releases_filled = 0;
  int64_t releases_unfilled = 0;
  int64_t avg_cost_minor_per_t = 0;    // of all purchases; 0 if none
  int64_t avg_market_minor_per_t = 0;  // plain mean of the monthly prices of the run
  // Spend against buying the same grams at the run's average market price:
  // MulDiv(avg_cost - avg_market, 10000, avg_market); negative = bought cheaper.
  int64_t cost_vs_market_bp = 0;
};

struct BacktestResult {
  std::vector<BacktestRow> rows;       // month-major, metals in config order
  std::vector<BacktestTotals> totals;  // config order
  int64_t months = 0;
  int64_t spend_minor = 0;          // sum over metals
  int64_t proceeds_minor = 0;       // sum over metals
  int64_t budget_lapsed_minor = 0;  // money left at each year's end (and the run's end)
  std::string currency;
};

// The reference consumption assumption for the nine Pink Sheet metals, used by the tests, the
// benchmark and the decision_backtest tool: China's apparent consumption around 2020, rounded
// (AL 39 Mt, CU 14 Mt, ZN 6.8 Mt, PB 5 Mt, NI 1.3 Mt, SN 180 kt, AG 3.4 kt, AU 1 kt, PT 70 t a
// year), held constant; cover 30/60/90 days (base metals, Japan's and Korea's 60-day target)
// and 60/120/180 days (precious metals); starting at the minimum; acquisition and disposal
// ceilings of 5% of a year's consumption each. An assumption to argue with, not data.
std::vector<BacktestMetal> ReferenceBacktestMetals();

// Errors: INVALID_ARGUMENT naming the field ("config.metals[1].metal" for a metal not in the
// table, "config.first_month" outside the table, ...; rules as ValidateRuleSet with the prefix
// "config.rules."); RESOURCE_EXHAUSTED naming the field above a limit; overflow of a total
// (impossible within the limits, checked anyway) is OUT_OF_RANGE.
absl::StatusOr<BacktestResult> RunBacktest(const BacktestConfig& config,
                                           const MonthlyPrices& prices);

// CSV (RFC 4180, LF line ends, header first) of the monthly rows, one per metal and month,
// columns in BacktestRow order; masses in grams, money in minor units.
std::string BacktestRowsCsv(const BacktestResult& result);
// CSV of the per-metal totals, columns in BacktestTotals order.
std::string BacktestTotalsCsv(const BacktestResult& result);
// A standalone SVG document: one panel per metal, holdings (t) against the target band
// (min/target/max) and the price on a second axis, over the run's months. Integer
// coordinates; no scripts, no external references.
std::string BacktestSvg(const BacktestResult& result);

}  // namespace reserve::decision::engine

#endif  // RESERVE_SERVICES_DECISION_ENGINE_BACKTEST_H_
