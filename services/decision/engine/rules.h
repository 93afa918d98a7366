// Signals and recommendations (issue 5): for one date and each metal, BUY, HOLD or RELEASE, a
// quantity, a price limit, and the rules that fired with the figures behind them.
//
// Pure computation over plain structs: no ledger, no clock, no I/O. The live DecisionService
// and the backtest (backtest.h) both call Recommend(); there is no second implementation.
//
// Units: mass in integer grams, money in integer minor units (fen for CNY), prices in minor
// units per tonne, shares and percentiles in basis points (10,000 bp = 100%). Every product
// goes through storage/exact.h (MulDiv: 128-bit, rounded half away from zero). No floating
// point anywhere in this file's implementation.
//
// Determinism: the same RuleSet and RecommendationInput give byte-identical output (the
// order of metals in the input does not matter: output is in metal-code order, and the shared
// budget is spent in a documented order, see Recommend()).
//
// Thread safety: every function here is pure and may be called concurrently.
#ifndef RESERVE_SERVICES_DECISION_ENGINE_RULES_H_
#define RESERVE_SERVICES_DECISION_ENGINE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace reserve::decision::engine {

// Limits on one call. Each is far above any real use and keeps one call's work bounded.
inline constexpr size_t kMaxMetals = 64;  // the reserve's catalog has ~10 metals
// Price marks per metal: 100 years of daily marks (monthly history is ~760).
inline constexpr size_t kMaxPriceMarks = 40'000;
// Utilisation marks per metal: 100 years of monthly figures, with room.
inline constexpr size_t kMaxUtilisationMarks = 4'000;
// Largest mass anywhere in the engine: 100 Mt, above any metal's world annual output that a
// single reserve would hold or buy. Keeps every product of mass and price or weight in range.
inline constexpr int64_t kMaxMassG = 100'000'000'000'000;
// Largest price: 10^12 minor/t (10 billion CNY per tonne; rhodium is ~5·10^9 fen/t).
inline constexpr int64_t kMaxPriceMinorPerT = 1'000'000'000'000;
// Largest money amount (budgets, funding limits): 10^17 minor (10^15 CNY).
inline constexpr int64_t kMaxMoneyMinor = 100'000'000'000'000'000;
// Cover targets are at most 10 years of consumption.
inline constexpr int64_t kMaxCoverDays = 3'650;
inline constexpr int64_t kDaysPerYear = 365;  // cover days = holdings * 365 / annual consumption
inline constexpr int64_t kMonthsPerYear = 12;
inline constexpr int64_t kBasisPoints = 10'000;
inline constexpr size_t kMaxMetalCodeLength = 16;

// The values are part of the API (stored with proposals): never renumber.
enum class Action { kUnspecified = 0, kBuy = 1, kHold = 2, kRelease = 3 };
absl::string_view ActionName(Action action);  // "BUY", "HOLD", "RELEASE", "UNSPECIFIED"

// One price observation: the price that held on `date` (for monthly data, the first day of
// the month carries the month's average).
struct PriceMark {
  absl::CivilDay date;
  int64_t price_minor_per_t = 0;
  friend bool operator==(const PriceMark&, const PriceMark&) = default;
};

// One capacity-utilisation observation (e.g. electrolytic aluminium), in basis points of
// capacity (8,000 bp = 80%).
struct UtilisationMark {
  absl::CivilDay date;
  int64_t utilisation_bp = 0;
  friend bool operator==(const UtilisationMark&, const UtilisationMark&) = default;
};

// An optional price band the reserve defends, with the hard funding limit that the
// International Tin Council lacked (DESIGN.md section 1): purchases made *because the price is
// below the floor* are capped by `funding_limit_minor - funding_used_minor`.
struct PriceBand {
  int64_t floor_minor_per_t = 0;    // > 0
  int64_t ceiling_minor_per_t = 0;  // > floor
  int64_t funding_limit_minor = 0;  // >= 0, the most ever spent defending the floor
  int64_t funding_used_minor = 0;   // 0 <= used <= limit
  friend bool operator==(const PriceBand&, const PriceBand&) = default;
};

// Everything the rules need to know about one metal on the date.
struct MetalState {
  std::string metal;                   // code, e.g. "AL": 1..16 characters of A-Z, 0-9, '-', '_'
  int64_t holdings_g = 0;              // what the reserve holds now, >= 0
  int64_t consumption_g_per_year = 0;  // national consumption, > 0 (tonnes/year * 10^6)
  int64_t cover_min_days = 0;          // 0 <= min <= target <= max <= kMaxCoverDays
  int64_t cover_target_days = 0;
  int64_t cover_max_days = 0;
  // Annual Materials Plan ceilings for the calendar year of the date, and what is used.
  int64_t acquisition_ceiling_g = 0;  // >= 0
  int64_t acquired_this_year_g = 0;   // 0 <= acquired (may exceed the ceiling: then no buys)
  int64_t disposal_ceiling_g = 0;     // >= 0
  int64_t disposed_this_year_g = 0;   // >= 0
  std::optional<PriceBand> band;
  // Price history, dates strictly increasing. Marks after the input's `as_of` are ignored
  // (no look-ahead). The latest mark on or before `as_of` is the current price; a metal
  // without one holds (rule NO_PRICE): nothing is bought or released blind.
  std::vector<PriceMark> price_history;
  // Optional capacity-utilisation series, dates strictly increasing; empty: no trigger.
  std::vector<UtilisationMark> capacity_utilisation;
};

struct RecommendationInput {
  absl::CivilDay as_of;
  // Purchase budget left for the year, shared by all metals; >= 0.
  int64_t budget_remaining_minor = 0;
  // ISO 4217 code used only in the explanation text, e.g. "CNY" (3 letters A-Z).
  std::string currency = "CNY";
  std::vector<MetalState> metals;  // 1..kMaxMetals, distinct codes
};

// The tunable parameters. Defaults are the values the README argues for; every field is
// validated by ValidateRuleSet() (INVALID_ARGUMENT naming "rules.<field>").
struct RuleSet {
  // Price percentile (in its own history) at or below which a metal below its target cover
  // is bought up to target. Above it, the buy is deferred (rule PRICE_HIGH_DEFER) unless cover
  // is below the minimum.
  int64_t buy_percentile_max_bp = 5'000;
  // At or below this percentile, buy up to the *maximum* cover (rule PRICE_LOW).
  int64_t opportunity_percentile_max_bp = 1'500;
  // At or above this percentile, with cover above target, release down to target
  // (rule PRICE_HIGH_RELEASE), as China did at the 2021 highs.
  int64_t release_percentile_min_bp = 9'000;
  // Percentile window: marks dated in the last `window` calendar months up to as_of (as_of's
  // own month is one of them), so monthly data gives `window` marks; 0 = all history.
  int64_t percentile_window_months = 120;
  // Fewer marks than this in the window: no percentile, the price rules stay silent.
  int64_t percentile_min_marks = 24;
  // Capacity utilisation strictly below this triggers buying up to max cover (rule
  // UTILISATION_LOW): weak demand; reserve buying supports the industry, as in the 2008 and
  // 2012-13 aluminium purchases. 8,000 bp is the State Council guidance's figure.
  int64_t utilisation_trigger_bp = 8'000;
  // Utilisation marks older than this many days before as_of are ignored (stale).
  int64_t utilisation_max_age_days = 92;
  // Market impact: one recommendation buys (or releases) at most this share of one month's
  // consumption (consumption_g_per_year / 12). Recommendations are meant to be monthly.
  int64_t market_impact_share_bp = 2'000;
  // BUY price limit = current price * (1 + tolerance), never above the band ceiling (except
  // when COVER_BELOW_MIN fired: security of supply comes before the band).
  int64_t buy_price_tolerance_bp = 200;
  // RELEASE price limit (lowest acceptable) = current price * (1 - discount), never below the
  // band floor.
  int64_t release_price_discount_bp = 200;
  // Quantities are whole multiples of this, 1 t by default. A BUY towards a cover target
  // (COVER_BELOW_MIN, COVER_BELOW_TARGET) is rounded up so that it reaches the target; every
  // other level is approached rounded down (never past max, never below min), and a limit
  // that cuts a quantity leaves it rounded down. A result of 0 is HOLD.
  int64_t order_granularity_g = 1'000'000;
  friend bool operator==(const RuleSet&, const RuleSet&) = default;
};

// Stable rule ids (part of the API: clients branch on them, never rename one).
namespace rule {
// No price mark on or before the date: HOLD, no other rule is evaluated.
inline constexpr absl::string_view kNoPrice = "NO_PRICE";
// Cover.
inline constexpr absl::string_view kCoverBelowMin = "COVER_BELOW_MIN";        // BUY to target
inline constexpr absl::string_view kCoverBelowTarget = "COVER_BELOW_TARGET";  // BUY to target
inline constexpr absl::string_view kCoverInRange = "COVER_IN_RANGE";          // HOLD
inline constexpr absl::string_view kCoverAboveMax = "COVER_ABOVE_MAX";        // RELEASE to max
// Price against its own history.
inline constexpr absl::string_view kPriceLow = "PRICE_LOW";                     // BUY to max
inline constexpr absl::string_view kPriceHighDefer = "PRICE_HIGH_DEFER";        // no buy to target
inline constexpr absl::string_view kPriceHighRelease = "PRICE_HIGH_RELEASE";    // RELEASE to target
inline constexpr absl::string_view kPriceHistoryShort = "PRICE_HISTORY_SHORT";  // informational
// Price against the band.
inline constexpr absl::string_view kBandBelowFloor = "BAND_BELOW_FLOOR";      // BUY to max
inline constexpr absl::string_view kBandAboveCeiling = "BAND_ABOVE_CEILING";  // RELEASE to min
inline constexpr absl::string_view kBandFundingLimit = "BAND_FUNDING_LIMIT";  // band buy capped
// Capacity utilisation.
inline constexpr absl::string_view kUtilisationLow = "UTILISATION_LOW";  // BUY to max
// Limits that cut a quantity (each fires only when it binds).
inline constexpr absl::string_view kAcquisitionCeiling = "ACQUISITION_CEILING";
inline constexpr absl::string_view kDisposalCeiling = "DISPOSAL_CEILING";
inline constexpr absl::string_view kMarketImpactCap = "MARKET_IMPACT_CAP";
inline constexpr absl::string_view kBudgetLimit = "BUDGET_LIMIT";
inline constexpr absl::string_view kBelowGranularity = "BELOW_GRANULARITY";  // rounded to 0
}  // namespace rule

// One figure behind a rule, e.g. {"cover_days", 41}. Names carry units.
struct Figure {
  std::string name;
  int64_t value = 0;
  friend bool operator==(const Figure&, const Figure&) = default;
};

// A rule that fired: its stable id, a sentence for people, and the figures it used.
struct FiredRule {
  std::string id;       // one of rule::k*
  std::string message;  // e.g. "cover 41 days is below the minimum of 45 days"
  std::vector<Figure> figures;
  friend bool operator==(const FiredRule&, const FiredRule&) = default;
};

// The signals computed for one metal (all of them, whether or not a rule fired).
struct Signals {
  int64_t cover_days = 0;  // MulDiv(holdings, 365, consumption/yr)
  int64_t target_g = 0;    // MulDiv(consumption/yr, target days, 365); min_g, max_g likewise
  int64_t min_g = 0;
  int64_t max_g = 0;
  int64_t monthly_consumption_g = 0;  // MulDiv(consumption/yr, 1, 12)
  absl::CivilDay price_date;          // date of the current price mark
  int64_t price_minor_per_t = 0;      // current price
  // Share of the *other* marks in the window strictly below the current price, in bp
  // (MulDiv(below, 10000, n - 1)); absent with fewer than percentile_min_marks marks.
  std::optional<int64_t> percentile_bp;
  int64_t window_marks = 0;  // marks in the percentile window, the current one included
  std::optional<int64_t> utilisation_bp;  // latest fresh mark, if any
  friend bool operator==(const Signals&, const Signals&) = default;
};

struct Recommendation {
  std::string metal;
  Action action = Action::kUnspecified;  // kBuy, kHold or kRelease
  int64_t quantity_g = 0;                // > 0 for BUY/RELEASE, 0 for HOLD
  // BUY: the most to pay; RELEASE: the least to accept (an auction's reserve price).
  // 0 for HOLD.
  int64_t price_limit_minor_per_t = 0;
  // BUY: ValueOfMass(quantity, price limit), the most the purchase can cost (charged to the
  // shared budget); RELEASE: ValueOfMass(quantity, price limit), the least it should raise.
  int64_t amount_minor = 0;
  // BUY: the part of amount_minor spent because of BAND_BELOW_FLOOR (charged to the band's
  // funding limit as well as the budget); 0 otherwise.
  int64_t band_amount_minor = 0;
  Signals signals;
  std::vector<FiredRule> rules;  // in evaluation order (see README "Rules")
  // The rules' messages joined into one readable paragraph ("AL: BUY 1200 t at most
  // 18,450.00 CNY/t. Cover 41 days is below ...").
  std::string explanation;
  friend bool operator==(const Recommendation&, const Recommendation&) = default;
};

struct RecommendationSet {
  absl::CivilDay as_of;
  std::vector<Recommendation> recommendations;  // one per input metal, in metal-code order
  int64_t budget_committed_minor = 0;           // sum of BUY amount_minor, <= budget
  friend bool operator==(const RecommendationSet&, const RecommendationSet&) = default;
};

// INVALID_ARGUMENT naming "rules.<field>" when a parameter is out of range:
// percentiles and shares in [0, 10000] (release_percentile_min_bp >= buy_percentile_max_bp,
// opportunity_percentile_max_bp <= buy_percentile_max_bp), discount < 10000,
// window 0..1200 months, min marks 2..kMaxPriceMarks, utilisation trigger 0..10000 bp,
// max age 0..3650 days, granularity 1..kMaxMassG.
absl::Status ValidateRuleSet(const RuleSet& rules);

// INVALID_ARGUMENT naming the field ("metals[2].cover_min_days", "budget_remaining_minor",
// "metals[0].price_history[5].date", ...) for any value out of the ranges documented on the
// structs, duplicate metal codes, unsorted series, or more than the k* limits
// (RESOURCE_EXHAUSTED for a count above a limit, naming the field too).
absl::Status ValidateRecommendationInput(const RecommendationInput& input);

// Evaluates the rules for every metal. Validates both arguments first (statuses as above);
// never fails otherwise.
//
// Budget order: metals are evaluated most-urgent first — ascending holdings/target ratio
// (compared exactly, a metal with target 0 last), ties by metal code — and each BUY is
// cut to what the budget left by the previous BUYs affords at its price limit.
absl::StatusOr<RecommendationSet> Recommend(const RuleSet& rules, const RecommendationInput& input);

}  // namespace reserve::decision::engine

#endif  // RESERVE_SERVICES_DECISION_ENGINE_RULES_H_
