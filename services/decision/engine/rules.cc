#include "services/decision/engine/rules.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/decision/engine/internal.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {

namespace {

using internal::AffordableGrams;
using internal::CheckRange;
using internal::Money;
using internal::Percent;
using internal::PricePerT;
using internal::Tonnes;

// A release is at most one month's consumption (the market-impact cap, share <= 100%), so its
// value at the highest price fits in int64 and ValueOfMass cannot fail; a purchase's value is
// bounded by the budget the same way.
static_assert(static_cast<Int128>(kMaxMassG / kMonthsPerYear + 1) * kMaxPriceMinorPerT /
                  kGramsPerTonne <
              static_cast<Int128>(INT64_MAX));

// Longest percentile window: 100 years.
constexpr int64_t kMaxWindowMonths = 1'200;
// Utilisation may exceed 100% of nameplate capacity; 200% is the most we accept.
constexpr int64_t kMaxUtilisationBp = 20'000;

// ---------------------------------------------------------------------------------------
// Validation.

absl::Status ValidateBand(const std::string& at, const PriceBand& band) {
  if (absl::Status s =
          CheckRange(at + ".floor_minor_per_t", band.floor_minor_per_t, 1, kMaxPriceMinorPerT - 1);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange(at + ".ceiling_minor_per_t", band.ceiling_minor_per_t,
                                  band.floor_minor_per_t + 1, kMaxPriceMinorPerT);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange(at + ".funding_limit_minor", band.funding_limit_minor, 0, kMaxMoneyMinor);
      !s.ok()) {
    return s;
  }
  return CheckRange(at + ".funding_used_minor", band.funding_used_minor, 0,
                    band.funding_limit_minor);
}

absl::Status ValidatePrices(const std::string& at, const std::vector<PriceMark>& marks) {
  if (marks.size() > kMaxPriceMarks) {
    return internal::TooMany(at, marks.size(), kMaxPriceMarks);
  }
  for (size_t i = 0; i < marks.size(); ++i) {
    const std::string mark = absl::StrCat(at, "[", i, "]");
    if (absl::Status s = CheckRange(mark + ".price_minor_per_t", marks[i].price_minor_per_t, 1,
                                    kMaxPriceMinorPerT);
        !s.ok()) {
      return s;
    }
    if (i > 0 && !(marks[i - 1].date < marks[i].date)) {
      return InvalidField(mark + ".date", "dates must be strictly increasing");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateUtilisation(const std::string& at, const std::vector<UtilisationMark>& marks) {
  if (marks.size() > kMaxUtilisationMarks) {
    return internal::TooMany(at, marks.size(), kMaxUtilisationMarks);
  }
  for (size_t i = 0; i < marks.size(); ++i) {
    const std::string mark = absl::StrCat(at, "[", i, "]");
    if (absl::Status s =
            CheckRange(mark + ".utilisation_bp", marks[i].utilisation_bp, 0, kMaxUtilisationBp);
        !s.ok()) {
      return s;
    }
    if (i > 0 && !(marks[i - 1].date < marks[i].date)) {
      return InvalidField(mark + ".date", "dates must be strictly increasing");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMetal(const std::string& at, const MetalState& m) {
  if (!internal::IsMetalCode(m.metal)) {
    return InvalidField(at + ".metal", "must be 1..16 characters of A-Z, 0-9, '-', '_'");
  }
  const std::pair<const char*, std::pair<int64_t, std::pair<int64_t, int64_t>>> ranges[] = {
      {"holdings_g", {m.holdings_g, {0, kMaxMassG}}},
      {"consumption_g_per_year", {m.consumption_g_per_year, {1, kMaxMassG}}},
      {"cover_min_days", {m.cover_min_days, {0, kMaxCoverDays}}},
      {"cover_target_days", {m.cover_target_days, {m.cover_min_days, kMaxCoverDays}}},
      {"cover_max_days", {m.cover_max_days, {m.cover_target_days, kMaxCoverDays}}},
      {"acquisition_ceiling_g", {m.acquisition_ceiling_g, {0, kMaxMassG}}},
      {"acquired_this_year_g", {m.acquired_this_year_g, {0, kMaxMassG}}},
      {"disposal_ceiling_g", {m.disposal_ceiling_g, {0, kMaxMassG}}},
      {"disposed_this_year_g", {m.disposed_this_year_g, {0, kMaxMassG}}},
  };
  for (const auto& [name, check] : ranges) {
    if (absl::Status s = CheckRange(absl::StrCat(at, ".", name), check.first, check.second.first,
                                    check.second.second);
        !s.ok()) {
      return s;
    }
  }
  if (m.band.has_value()) {
    if (absl::Status s = ValidateBand(at + ".band", *m.band); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidatePrices(at + ".price_history", m.price_history); !s.ok()) {
    return s;
  }
  return ValidateUtilisation(at + ".capacity_utilisation", m.capacity_utilisation);
}

// ---------------------------------------------------------------------------------------
// Signals.

// Index one past the last mark dated on or before `day` (marks sorted by date).
template <typename Mark>
size_t EndOnOrBefore(const std::vector<Mark>& marks, absl::CivilDay day) {
  auto it = std::upper_bound(marks.begin(), marks.end(), day,
                             [](absl::CivilDay d, const Mark& mark) { return d < mark.date; });
  return static_cast<size_t>(it - marks.begin());
}

Signals ComputeSignals(const RuleSet& rules, absl::CivilDay as_of, const MetalState& m) {
  Signals s;
  // Validation bounds every factor, so these MulDivs cannot overflow.
  s.cover_days = *MulDiv(m.holdings_g, kDaysPerYear, m.consumption_g_per_year);
  s.min_g = *MulDiv(m.consumption_g_per_year, m.cover_min_days, kDaysPerYear);
  s.target_g = *MulDiv(m.consumption_g_per_year, m.cover_target_days, kDaysPerYear);
  s.max_g = *MulDiv(m.consumption_g_per_year, m.cover_max_days, kDaysPerYear);
  s.monthly_consumption_g = *MulDiv(m.consumption_g_per_year, 1, kMonthsPerYear);

  const size_t end = EndOnOrBefore(m.price_history, as_of);
  if (end > 0) {
    const PriceMark& current = m.price_history[end - 1];
    s.price_date = current.date;
    s.price_minor_per_t = current.price_minor_per_t;
    size_t begin = 0;
    if (rules.percentile_window_months > 0) {
      const absl::CivilMonth first_month =
          absl::CivilMonth(as_of) - (rules.percentile_window_months - 1);
      const absl::CivilDay first_day(first_month);
      begin = static_cast<size_t>(
          std::lower_bound(m.price_history.begin(), m.price_history.begin() + end, first_day,
                           [](const PriceMark& mark, absl::CivilDay d) { return mark.date < d; }) -
          m.price_history.begin());
    }
    s.window_marks = static_cast<int64_t>(end - begin);
    if (s.window_marks >= rules.percentile_min_marks) {
      int64_t below = 0;
      for (size_t i = begin; i + 1 < end; ++i) {
        if (m.price_history[i].price_minor_per_t < current.price_minor_per_t) {
          ++below;
        }
      }
      s.percentile_bp = *MulDiv(below, kBasisPoints, s.window_marks - 1);
    }
  }

  const size_t u_end = EndOnOrBefore(m.capacity_utilisation, as_of);
  if (u_end > 0) {
    const UtilisationMark& latest = m.capacity_utilisation[u_end - 1];
    if (as_of - latest.date <= rules.utilisation_max_age_days) {
      s.utilisation_bp = latest.utilisation_bp;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Rules.

// A rule that asks for a level of holdings (BUY up to it, or RELEASE down to it).
struct Level {
  enum Kind {
    kUpTo,   // buy whole units up to the level, never past it (rounded down)
    kReach,  // a cover target: buy whole units until the level is reached (rounded up)
    kBand,   // BAND_BELOW_FLOOR: up to the level, paid from the band's funding too
  };
  int64_t level_g = 0;
  Kind kind = kUpTo;
};

// Everything one metal's evaluation needs, read-only.
struct Context {
  const RuleSet& rules;
  const MetalState& m;
  const Signals& s;
  absl::string_view currency;
  int64_t budget_left_minor;
};

class Evaluation {
 public:
  explicit Evaluation(const Context& ctx) : ctx_(ctx) {}

  Recommendation Run();

 private:
  void Fire(absl::string_view id, std::string message, std::vector<Figure> figures) {
    out_.rules.push_back(FiredRule{std::string(id), std::move(message), std::move(figures)});
  }
  std::string CoverText(int64_t days) const { return absl::StrCat(days, " days"); }
  std::string PercentileText() const {
    return absl::StrCat("above ", Percent(*ctx_.s.percentile_bp), " of the ",
                        ctx_.s.window_marks - 1, " other marks in its window");
  }
  Figure F(absl::string_view name, int64_t value) const { return Figure{std::string(name), value}; }

  bool BelowFloor() const {
    return ctx_.m.band && ctx_.s.price_minor_per_t < ctx_.m.band->floor_minor_per_t;
  }
  bool AboveCeiling() const {
    return ctx_.m.band && ctx_.s.price_minor_per_t > ctx_.m.band->ceiling_minor_per_t;
  }

  std::vector<Level> ReleaseRules();
  std::vector<Level> BuyRules(bool below_min);
  void Buy(const std::vector<Level>& levels, bool below_min);
  void Release(const std::vector<Level>& levels);
  // Cuts `*q` to `limit`, firing `id` when it binds.
  void Cap(int64_t* q, int64_t limit, absl::string_view id, std::string why);
  int64_t Granular(int64_t q);
  void Finish();

  const Context& ctx_;
  Recommendation out_;
};

std::vector<Level> Evaluation::ReleaseRules() {
  const Signals& s = ctx_.s;
  const MetalState& m = ctx_.m;
  std::vector<Level> levels;
  if (m.holdings_g > s.max_g) {
    Fire(rule::kCoverAboveMax,
         absl::StrCat("Cover ", CoverText(s.cover_days), " is above the maximum of ",
                      CoverText(m.cover_max_days), " (", Tonnes(m.holdings_g), " held, ",
                      Tonnes(s.max_g), " at the maximum): release down to the maximum."),
         {F("cover_days", s.cover_days), F("cover_max_days", m.cover_max_days),
          F("holdings_g", m.holdings_g), F("max_g", s.max_g)});
    levels.push_back({s.max_g, Level::kUpTo});
  }
  if (AboveCeiling()) {
    Fire(rule::kBandAboveCeiling,
         absl::StrCat("Price ", PricePerT(s.price_minor_per_t, ctx_.currency),
                      " is above the band ceiling of ",
                      PricePerT(m.band->ceiling_minor_per_t, ctx_.currency),
                      ": release down to the minimum cover of ", CoverText(m.cover_min_days), " (",
                      Tonnes(s.min_g), ") and buy nothing."),
         {F("price_minor_per_t", s.price_minor_per_t),
          F("band_ceiling_minor_per_t", m.band->ceiling_minor_per_t), F("min_g", s.min_g)});
    levels.push_back({s.min_g, Level::kUpTo});
  }
  if (s.percentile_bp && *s.percentile_bp >= ctx_.rules.release_percentile_min_bp &&
      m.holdings_g > s.target_g) {
    Fire(rule::kPriceHighRelease,
         absl::StrCat("Price ", PricePerT(s.price_minor_per_t, ctx_.currency), " is ",
                      PercentileText(), " (release at ",
                      Percent(ctx_.rules.release_percentile_min_bp),
                      " or more) and cover is above target: release down to the target of ",
                      CoverText(m.cover_target_days), " (", Tonnes(s.target_g), ")."),
         {F("price_minor_per_t", s.price_minor_per_t), F("percentile_bp", *s.percentile_bp),
          F("percentile_limit_bp", ctx_.rules.release_percentile_min_bp),
          F("window_marks", s.window_marks), F("target_g", s.target_g)});
    levels.push_back({s.target_g, Level::kUpTo});
  }
  return levels;
}

std::vector<Level> Evaluation::BuyRules(bool below_min) {
  const Signals& s = ctx_.s;
  const MetalState& m = ctx_.m;
  const RuleSet& rules = ctx_.rules;
  std::vector<Level> levels;
  if (below_min) {
    Fire(rule::kCoverBelowMin,
         absl::StrCat("Cover ", CoverText(s.cover_days), " is below the minimum of ",
                      CoverText(m.cover_min_days), " (", Tonnes(m.holdings_g),
                      " held against consumption of ", Tonnes(m.consumption_g_per_year),
                      "/year): buy up to the target of ", CoverText(m.cover_target_days), " (",
                      Tonnes(s.target_g), ") whatever the price."),
         {F("cover_days", s.cover_days), F("cover_min_days", m.cover_min_days),
          F("cover_target_days", m.cover_target_days), F("holdings_g", m.holdings_g),
          F("target_g", s.target_g)});
    levels.push_back({s.target_g, Level::kReach});
  } else if (m.holdings_g < s.target_g) {
    if (!s.percentile_bp || *s.percentile_bp <= rules.buy_percentile_max_bp) {
      std::string price_why =
          s.percentile_bp ? absl::StrCat("the price is ", PercentileText(), " (buy at ",
                                         Percent(rules.buy_percentile_max_bp), " or less)")
                          : std::string("the price history is too short to judge the price");
      std::vector<Figure> figures = {F("cover_days", s.cover_days),
                                     F("cover_target_days", m.cover_target_days),
                                     F("holdings_g", m.holdings_g), F("target_g", s.target_g)};
      if (s.percentile_bp) {
        figures.push_back(F("percentile_bp", *s.percentile_bp));
        figures.push_back(F("percentile_limit_bp", rules.buy_percentile_max_bp));
      }
      Fire(rule::kCoverBelowTarget,
           absl::StrCat("Cover ", CoverText(s.cover_days), " is below the target of ",
                        CoverText(m.cover_target_days), " and ", price_why,
                        ": buy up to the target (", Tonnes(s.target_g), ")."),
           std::move(figures));
      levels.push_back({s.target_g, Level::kReach});
    } else {
      Fire(rule::kPriceHighDefer,
           absl::StrCat("Cover ", CoverText(s.cover_days), " is below the target of ",
                        CoverText(m.cover_target_days), " but the price ",
                        PricePerT(s.price_minor_per_t, ctx_.currency), " is ", PercentileText(),
                        ": buying to target waits for ", Percent(rules.buy_percentile_max_bp),
                        " or less."),
           {F("cover_days", s.cover_days), F("cover_target_days", m.cover_target_days),
            F("price_minor_per_t", s.price_minor_per_t), F("percentile_bp", *s.percentile_bp),
            F("percentile_limit_bp", rules.buy_percentile_max_bp)});
    }
  }
  if (s.percentile_bp && *s.percentile_bp <= rules.opportunity_percentile_max_bp &&
      m.holdings_g < s.max_g) {
    Fire(rule::kPriceLow,
         absl::StrCat("Price ", PricePerT(s.price_minor_per_t, ctx_.currency), " is only ",
                      PercentileText(), " (", Percent(rules.opportunity_percentile_max_bp),
                      " or less): buy up to the maximum cover of ", CoverText(m.cover_max_days),
                      " (", Tonnes(s.max_g), ")."),
         {F("price_minor_per_t", s.price_minor_per_t), F("percentile_bp", *s.percentile_bp),
          F("percentile_limit_bp", rules.opportunity_percentile_max_bp),
          F("window_marks", s.window_marks), F("max_g", s.max_g)});
    levels.push_back({s.max_g, Level::kUpTo});
  }
  if (BelowFloor() && m.holdings_g < s.max_g) {
    const int64_t funding_left = m.band->funding_limit_minor - m.band->funding_used_minor;
    Fire(rule::kBandBelowFloor,
         absl::StrCat(
             "Price ", PricePerT(s.price_minor_per_t, ctx_.currency),
             " is below the band floor of ", PricePerT(m.band->floor_minor_per_t, ctx_.currency),
             ": defend the floor by buying up to the maximum cover (", Tonnes(s.max_g),
             "), from the band's funding (", Money(funding_left, ctx_.currency), " left)."),
         {F("price_minor_per_t", s.price_minor_per_t),
          F("band_floor_minor_per_t", m.band->floor_minor_per_t), F("max_g", s.max_g),
          F("funding_left_minor", funding_left)});
    levels.push_back({s.max_g, Level::kBand});
  }
  if (s.utilisation_bp && *s.utilisation_bp < rules.utilisation_trigger_bp &&
      m.holdings_g < s.max_g) {
    Fire(rule::kUtilisationLow,
         absl::StrCat("Capacity utilisation ", Percent(*s.utilisation_bp), " is below ",
                      Percent(rules.utilisation_trigger_bp),
                      ": demand is weak; buying supports the industry, up to the maximum cover (",
                      Tonnes(s.max_g), ")."),
         {F("utilisation_bp", *s.utilisation_bp),
          F("utilisation_trigger_bp", rules.utilisation_trigger_bp), F("max_g", s.max_g)});
    levels.push_back({s.max_g, Level::kUpTo});
  }
  return levels;
}

void Evaluation::Cap(int64_t* q, int64_t limit, absl::string_view id, std::string why) {
  if (*q <= limit) {
    return;
  }
  Fire(id, absl::StrCat(why, ": ", Tonnes(*q), " cut to ", Tonnes(limit), "."),
       {F("quantity_before_g", *q), F("limit_g", limit)});
  *q = limit;
}

int64_t Evaluation::Granular(int64_t q) {
  const int64_t g = ctx_.rules.order_granularity_g;
  const int64_t rounded = q / g * g;
  if (q > 0 && rounded == 0) {
    Fire(rule::kBelowGranularity,
         absl::StrCat(Tonnes(q), " is less than one order unit of ", Tonnes(g), ": nothing to do."),
         {F("quantity_before_g", q), F("order_granularity_g", g)});
  }
  return rounded;
}

void Evaluation::Buy(const std::vector<Level>& levels, bool below_min) {
  const MetalState& m = ctx_.m;
  const Signals& s = ctx_.s;
  const RuleSet& rules = ctx_.rules;
  // The highest level of each kind; the band's level adds the layer above the others.
  int64_t reach_level = m.holdings_g;
  int64_t up_to_level = m.holdings_g;
  int64_t band_level = m.holdings_g;
  for (const Level& l : levels) {
    int64_t& level = l.kind == Level::kReach  ? reach_level
                     : l.kind == Level::kBand ? band_level
                                              : up_to_level;
    level = std::max(level, l.level_g);
  }
  const int64_t unit = rules.order_granularity_g;
  auto down = [unit](int64_t g) { return g / unit * unit; };
  auto up = [unit](int64_t g) { return (g + unit - 1) / unit * unit; };
  int64_t price_limit =
      *MulDiv(s.price_minor_per_t, kBasisPoints + rules.buy_price_tolerance_bp, kBasisPoints);
  if (m.band && !below_min) {
    price_limit = std::min(price_limit, m.band->ceiling_minor_per_t);
  }
  const int64_t plain_g =
      std::max(up(reach_level - m.holdings_g), down(up_to_level - m.holdings_g));
  int64_t band_g = std::max<int64_t>(0, down(band_level - m.holdings_g) - plain_g);
  if (plain_g + band_g == 0) {
    // Less than one unit below a level that may not be passed.
    Granular(std::max({reach_level, up_to_level, band_level}) - m.holdings_g);
    return;  // HOLD
  }
  if (band_g > 0) {
    const int64_t funding_left = m.band->funding_limit_minor - m.band->funding_used_minor;
    Cap(&band_g, AffordableGrams(funding_left, price_limit, kMaxMassG), rule::kBandFundingLimit,
        absl::StrCat("The band's funding left (", Money(funding_left, ctx_.currency),
                     ") pays for no more at ", PricePerT(price_limit, ctx_.currency)));
  }
  int64_t q = plain_g + band_g;
  Cap(&q, std::max<int64_t>(0, m.acquisition_ceiling_g - m.acquired_this_year_g),
      rule::kAcquisitionCeiling,
      absl::StrCat("The annual acquisition ceiling is ", Tonnes(m.acquisition_ceiling_g), " and ",
                   Tonnes(m.acquired_this_year_g), " is already bought this year"));
  const int64_t impact_g =
      *MulDiv(s.monthly_consumption_g, rules.market_impact_share_bp, kBasisPoints);
  Cap(&q, impact_g, rule::kMarketImpactCap,
      absl::StrCat("Market impact: at most ", Percent(rules.market_impact_share_bp),
                   " of monthly consumption (", Tonnes(s.monthly_consumption_g), ")"));
  Cap(&q, AffordableGrams(ctx_.budget_left_minor, price_limit, kMaxMassG), rule::kBudgetLimit,
      absl::StrCat("The budget left (", Money(ctx_.budget_left_minor, ctx_.currency),
                   ") pays for no more at ", PricePerT(price_limit, ctx_.currency)));
  q = Granular(q);
  if (q == 0) {
    return;  // HOLD
  }
  out_.action = Action::kBuy;
  out_.quantity_g = q;
  out_.price_limit_minor_per_t = price_limit;
  out_.amount_minor = *ValueOfMass(q, price_limit);
  // The band pays for the top layer: whatever exceeds what the other rules asked for.
  out_.band_amount_minor = *ValueOfMass(std::max<int64_t>(0, q - plain_g), price_limit);
}

void Evaluation::Release(const std::vector<Level>& levels) {
  const MetalState& m = ctx_.m;
  const Signals& s = ctx_.s;
  const RuleSet& rules = ctx_.rules;
  int64_t level = m.holdings_g;
  for (const Level& l : levels) {
    level = std::min(level, l.level_g);
  }
  int64_t q = m.holdings_g - level;
  Cap(&q, std::max<int64_t>(0, m.disposal_ceiling_g - m.disposed_this_year_g),
      rule::kDisposalCeiling,
      absl::StrCat("The annual disposal ceiling is ", Tonnes(m.disposal_ceiling_g), " and ",
                   Tonnes(m.disposed_this_year_g), " is already released this year"));
  const int64_t impact_g =
      *MulDiv(s.monthly_consumption_g, rules.market_impact_share_bp, kBasisPoints);
  Cap(&q, impact_g, rule::kMarketImpactCap,
      absl::StrCat("Market impact: at most ", Percent(rules.market_impact_share_bp),
                   " of monthly consumption (", Tonnes(s.monthly_consumption_g), ")"));
  q = Granular(q);
  if (q == 0) {
    return;  // HOLD
  }
  int64_t price_limit =
      *MulDiv(s.price_minor_per_t, kBasisPoints - rules.release_price_discount_bp, kBasisPoints);
  if (m.band) {
    price_limit = std::max(price_limit, m.band->floor_minor_per_t);
  }
  out_.action = Action::kRelease;
  out_.quantity_g = q;
  out_.price_limit_minor_per_t = price_limit;
  out_.amount_minor = *ValueOfMass(q, price_limit);
}

void Evaluation::Finish() {
  std::string head = absl::StrCat(out_.metal, ": ", ActionName(out_.action));
  if (out_.action != Action::kHold) {
    absl::StrAppend(&head, " ", Tonnes(out_.quantity_g),
                    out_.action == Action::kBuy ? " at most " : " at least ",
                    PricePerT(out_.price_limit_minor_per_t, ctx_.currency), " (",
                    Money(out_.amount_minor, ctx_.currency), ")");
  }
  absl::StrAppend(&head, ".");
  std::vector<absl::string_view> parts = {head};
  for (const FiredRule& r : out_.rules) {
    parts.push_back(r.message);
  }
  out_.explanation = absl::StrJoin(parts, " ");
}

Recommendation Evaluation::Run() {
  const MetalState& m = ctx_.m;
  const Signals& s = ctx_.s;
  out_.metal = m.metal;
  out_.action = Action::kHold;
  out_.signals = s;
  if (s.price_minor_per_t == 0) {
    Fire(rule::kNoPrice,
         "No price mark on or before the date: nothing is bought or released blind.", {});
    Finish();
    return std::move(out_);
  }
  if (!s.percentile_bp) {
    Fire(rule::kPriceHistoryShort,
         absl::StrCat("Only ", s.window_marks, " price marks in the window (",
                      ctx_.rules.percentile_min_marks,
                      " needed): the price is not judged against its history."),
         {F("window_marks", s.window_marks),
          F("percentile_min_marks", ctx_.rules.percentile_min_marks)});
  }
  const bool below_min = m.holdings_g < s.min_g;
  std::vector<Level> releases;
  if (!below_min && !BelowFloor()) {
    releases = ReleaseRules();
  }
  if (!releases.empty()) {
    Release(releases);
  } else {
    std::vector<Level> buys = BuyRules(below_min);
    if (!buys.empty()) {
      Buy(buys, below_min);
    }
  }
  const bool any_action_rule =
      std::any_of(out_.rules.begin(), out_.rules.end(),
                  [](const FiredRule& r) { return r.id != rule::kPriceHistoryShort; });
  if (!any_action_rule) {
    Fire(rule::kCoverInRange,
         absl::StrCat("Cover ", CoverText(s.cover_days), " is within ", CoverText(m.cover_min_days),
                      "..", CoverText(m.cover_max_days),
                      " and no price, band or utilisation rule calls for action."),
         {F("cover_days", s.cover_days), F("cover_min_days", m.cover_min_days),
          F("cover_max_days", m.cover_max_days)});
  }
  Finish();
  return std::move(out_);
}

// True when metal a is more urgent than b: lower holdings/target (target 0 is least urgent),
// then smaller code.
bool MoreUrgent(const MetalState& a, int64_t target_a, const MetalState& b, int64_t target_b) {
  if ((target_a == 0) != (target_b == 0)) {
    return target_b == 0;
  }
  if (target_a != 0) {
    const Int128 lhs = static_cast<Int128>(a.holdings_g) * target_b;
    const Int128 rhs = static_cast<Int128>(b.holdings_g) * target_a;
    if (lhs != rhs) {
      return lhs < rhs;
    }
  }
  return a.metal < b.metal;
}

}  // namespace

absl::string_view ActionName(Action action) {
  switch (action) {
    case Action::kBuy:
      return "BUY";
    case Action::kHold:
      return "HOLD";
    case Action::kRelease:
      return "RELEASE";
    case Action::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

absl::Status ValidateRuleSet(const RuleSet& r) {
  const std::pair<const char*, std::pair<int64_t, std::pair<int64_t, int64_t>>> ranges[] = {
      {"buy_percentile_max_bp", {r.buy_percentile_max_bp, {0, kBasisPoints}}},
      {"opportunity_percentile_max_bp",
       {r.opportunity_percentile_max_bp, {0, r.buy_percentile_max_bp}}},
      {"release_percentile_min_bp",
       {r.release_percentile_min_bp, {r.buy_percentile_max_bp, kBasisPoints}}},
      {"percentile_window_months", {r.percentile_window_months, {0, kMaxWindowMonths}}},
      {"percentile_min_marks", {r.percentile_min_marks, {2, static_cast<int64_t>(kMaxPriceMarks)}}},
      {"utilisation_trigger_bp", {r.utilisation_trigger_bp, {0, kBasisPoints}}},
      {"utilisation_max_age_days", {r.utilisation_max_age_days, {0, kMaxCoverDays}}},
      {"market_impact_share_bp", {r.market_impact_share_bp, {0, kBasisPoints}}},
      {"buy_price_tolerance_bp", {r.buy_price_tolerance_bp, {0, kBasisPoints}}},
      {"release_price_discount_bp", {r.release_price_discount_bp, {0, kBasisPoints - 1}}},
      {"order_granularity_g", {r.order_granularity_g, {1, kMaxMassG}}},
  };
  for (const auto& [name, check] : ranges) {
    if (absl::Status s = CheckRange(absl::StrCat("rules.", name), check.first, check.second.first,
                                    check.second.second);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRecommendationInput(const RecommendationInput& input) {
  if (absl::Status s =
          CheckRange("budget_remaining_minor", input.budget_remaining_minor, 0, kMaxMoneyMinor);
      !s.ok()) {
    return s;
  }
  if (input.currency.size() != 3 || !std::all_of(input.currency.begin(), input.currency.end(),
                                                 [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return InvalidField("currency", "must be an ISO 4217 code of three letters A-Z");
  }
  if (input.metals.empty()) {
    return InvalidField("metals", "at least one metal is required");
  }
  if (input.metals.size() > kMaxMetals) {
    return internal::TooMany("metals", input.metals.size(), kMaxMetals);
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < input.metals.size(); ++i) {
    const std::string at = absl::StrCat("metals[", i, "]");
    if (absl::Status s = ValidateMetal(at, input.metals[i]); !s.ok()) {
      return s;
    }
    if (!seen.insert(input.metals[i].metal).second) {
      return InvalidField(at + ".metal", absl::StrCat("duplicate metal ", input.metals[i].metal));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RecommendationSet> Recommend(const RuleSet& rules,
                                            const RecommendationInput& input) {
  if (absl::Status s = ValidateRuleSet(rules); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateRecommendationInput(input); !s.ok()) {
    return s;
  }
  const size_t n = input.metals.size();
  std::vector<Signals> signals;
  signals.reserve(n);
  for (const MetalState& m : input.metals) {
    signals.push_back(ComputeSignals(rules, input.as_of, m));
  }
  std::vector<size_t> urgency(n);
  std::iota(urgency.begin(), urgency.end(), 0);
  std::sort(urgency.begin(), urgency.end(), [&](size_t a, size_t b) {
    return MoreUrgent(input.metals[a], signals[a].target_g, input.metals[b], signals[b].target_g);
  });

  RecommendationSet out;
  out.as_of = input.as_of;
  out.recommendations.resize(n);
  int64_t budget_left = input.budget_remaining_minor;
  for (size_t i : urgency) {
    Context ctx{rules, input.metals[i], signals[i], input.currency, budget_left};
    Recommendation r = Evaluation(ctx).Run();
    if (r.action == Action::kBuy) {
      budget_left -= r.amount_minor;  // amount <= budget_left by construction
      out.budget_committed_minor += r.amount_minor;
    }
    out.recommendations[i] = std::move(r);
  }
  std::sort(out.recommendations.begin(), out.recommendations.end(),
            [](const Recommendation& a, const Recommendation& b) { return a.metal < b.metal; });
  return out;
}

}  // namespace reserve::decision::engine
