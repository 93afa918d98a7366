#include "services/decision/engine/backtest.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/decision/engine/internal.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {

namespace {

using internal::CheckRange;

// `status` with "<prefix>" put before its field (and the field in its message).
absl::Status Prefixed(const absl::Status& status, absl::string_view prefix) {
  std::optional<std::string> field = FieldOf(status);
  if (!field) {
    return status;
  }
  absl::string_view message = status.message();
  absl::ConsumePrefix(&message, absl::StrCat(*field, ": "));
  const std::string full = absl::StrCat(prefix, *field);
  absl::Status out(status.code(), absl::StrCat(full, ": ", message));
  out.SetPayload(kFieldPayload, absl::Cord(full));
  return out;
}

absl::Status OutOfRange(absl::string_view what) {
  return absl::OutOfRangeError(absl::StrCat(what, " overflows 64 bits"));
}

// Checked accumulate: *sum += v, or false on overflow.
bool Add(int64_t* sum, int64_t v) {
  std::optional<int64_t> next = CheckedAdd(*sum, v);
  if (!next) return false;
  *sum = *next;
  return true;
}

absl::Status ValidatePrices(const MonthlyPrices& prices) {
  if (prices.months.empty()) {
    return InvalidField("prices.months", "no months");
  }
  if (prices.months.size() > kMaxPriceTableMonths) {
    return internal::TooMany("prices.months", prices.months.size(), kMaxPriceTableMonths);
  }
  if (prices.metals.size() > kMaxPriceTableMetals) {
    return internal::TooMany("prices.metals", prices.metals.size(), kMaxPriceTableMetals);
  }
  for (size_t j = 1; j < prices.months.size(); ++j) {
    if (prices.months[j] != prices.months[j - 1] + 1) {
      return InvalidField(absl::StrCat("prices.months[", j, "]"), "months must be consecutive");
    }
  }
  if (prices.price_minor_per_t.size() != prices.metals.size()) {
    return InvalidField("prices.price_minor_per_t", "one series per metal is required");
  }
  for (size_t i = 0; i < prices.metals.size(); ++i) {
    if (prices.price_minor_per_t[i].size() != prices.months.size()) {
      return InvalidField(absl::StrCat("prices.price_minor_per_t[", i, "]"),
                          "one price per month is required");
    }
    for (size_t j = 0; j < prices.months.size(); ++j) {
      if (absl::Status s = CheckRange(absl::StrCat("prices.price_minor_per_t[", i, "][", j, "]"),
                                      prices.price_minor_per_t[i][j], 1, kMaxPriceMinorPerT);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// A rules.h MetalState for `m` with no prices yet (the simulation appends them).
MetalState StateOf(const BacktestMetal& m) {
  MetalState s;
  s.metal = m.metal;
  s.holdings_g = m.initial_holdings_g;
  s.consumption_g_per_year = m.consumption_g_per_year;
  s.cover_min_days = m.cover_min_days;
  s.cover_target_days = m.cover_target_days;
  s.cover_max_days = m.cover_max_days;
  s.acquisition_ceiling_g = m.acquisition_ceiling_g_per_year;
  s.disposal_ceiling_g = m.disposal_ceiling_g_per_year;
  s.band = m.band;
  s.capacity_utilisation = m.capacity_utilisation;
  return s;
}

absl::Status ValidateConfig(const BacktestConfig& config, const MonthlyPrices& prices) {
  if (absl::Status s = ValidateRuleSet(config.rules); !s.ok()) {
    return Prefixed(s, "config.");
  }
  if (config.first_month < prices.months.front() || config.first_month > prices.months.back()) {
    return InvalidField(
        "config.first_month",
        absl::StrCat(absl::FormatCivilTime(config.first_month), " is outside the price table (",
                     absl::FormatCivilTime(prices.months.front()), "..",
                     absl::FormatCivilTime(prices.months.back()), ")"));
  }
  if (config.last_month < config.first_month || config.last_month > prices.months.back()) {
    return InvalidField("config.last_month", "must be within first_month..the table's last");
  }
  if (absl::Status s = CheckRange("config.budget_minor_per_year", config.budget_minor_per_year, 0,
                                  kMaxMoneyMinor);
      !s.ok()) {
    return s;
  }
  if (config.metals.empty()) {
    return InvalidField("config.metals", "at least one metal is required");
  }
  if (config.metals.size() > kMaxMetals) {
    return internal::TooMany("config.metals", config.metals.size(), kMaxMetals);
  }
  RecommendationInput probe;  // the rules' own validation, for the fields they share
  probe.currency = config.currency;
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < config.metals.size(); ++i) {
    const BacktestMetal& m = config.metals[i];
    const std::string at = absl::StrCat("config.metals[", i, "]");
    if (prices.MetalIndex(m.metal) < 0) {
      return InvalidField(at + ".metal", absl::StrCat("'", m.metal, "' is not in the prices"));
    }
    if (!seen.insert(m.metal).second) {
      return InvalidField(at + ".metal", absl::StrCat("duplicate metal ", m.metal));
    }
    const std::pair<const char*, int64_t> masses[] = {
        {"initial_holdings_g", m.initial_holdings_g},
        {"acquisition_ceiling_g_per_year", m.acquisition_ceiling_g_per_year},
        {"disposal_ceiling_g_per_year", m.disposal_ceiling_g_per_year},
    };
    for (const auto& [name, value] : masses) {
      if (absl::Status s = CheckRange(absl::StrCat(at, ".", name), value, 0, kMaxMassG); !s.ok()) {
        return s;
      }
    }
    probe.metals.push_back(StateOf(m));
  }
  if (absl::Status s = ValidateRecommendationInput(probe); !s.ok()) {
    return Prefixed(s, "config.");
  }
  return absl::OkStatus();
}

// The running state of one metal.
struct Running {
  size_t price_index = 0;  // in the table
  int64_t acquired_year_g = 0;
  int64_t disposed_year_g = 0;
  int64_t sum_prices = 0;
  BacktestTotals totals;
};

}  // namespace

absl::StatusOr<BacktestResult> RunBacktest(const BacktestConfig& config,
                                           const MonthlyPrices& prices) {
  if (absl::Status s = ValidatePrices(prices); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateConfig(config, prices); !s.ok()) {
    return s;
  }
  const size_t n = config.metals.size();
  const size_t first = static_cast<size_t>(config.first_month - prices.months.front());
  const size_t last = static_cast<size_t>(config.last_month - prices.months.front());

  BacktestResult out;
  out.currency = config.currency;
  out.months = static_cast<int64_t>(last - first + 1);
  out.rows.reserve(out.months * n);
  RecommendationInput input;
  input.currency = config.currency;
  std::vector<Running> run(n);
  for (size_t i = 0; i < n; ++i) {
    const BacktestMetal& m = config.metals[i];
    MetalState state = StateOf(m);
    run[i].price_index = static_cast<size_t>(prices.MetalIndex(m.metal));
    // Marks before the first month: the history the first decision sees.
    const std::vector<int64_t>& series = prices.price_minor_per_t[run[i].price_index];
    state.price_history.reserve(last + 1);
    for (size_t j = 0; j < first; ++j) {
      state.price_history.push_back({absl::CivilDay(prices.months[j]), series[j]});
    }
    input.metals.push_back(std::move(state));
    BacktestTotals& t = run[i].totals;
    t.metal = m.metal;
    t.initial_holdings_g = m.initial_holdings_g;
    t.final_holdings_g = m.initial_holdings_g;
  }
  int64_t budget_left = 0;
  for (size_t j = first; j <= last; ++j) {
    const absl::CivilMonth month = prices.months[j];
    if (j == first || month.month() == 1) {
      if (j != first && !Add(&out.budget_lapsed_minor, budget_left)) {
        return OutOfRange("budget_lapsed_minor");
      }
      budget_left = config.budget_minor_per_year;
      for (Running& r : run) {
        r.acquired_year_g = 0;
        r.disposed_year_g = 0;
      }
    }
    // Step 2: decide with what was known at the start of the month.
    input.as_of = absl::CivilDay(month) - 1;
    input.budget_remaining_minor = budget_left;
    for (size_t i = 0; i < n; ++i) {
      input.metals[i].acquired_this_year_g = run[i].acquired_year_g;
      input.metals[i].disposed_this_year_g = run[i].disposed_year_g;
    }
    absl::StatusOr<RecommendationSet> set = Recommend(config.rules, input);
    if (!set.ok()) {
      return set.status();  // validated above: only a state the simulation made can fail here
    }
    // Step 3: execute at the month's average, metals in config order.
    for (size_t i = 0; i < n; ++i) {
      MetalState& state = input.metals[i];
      Running& r = run[i];
      BacktestTotals& t = r.totals;
      const Recommendation& rec =
          *std::find_if(set->recommendations.begin(), set->recommendations.end(),
                        [&](const Recommendation& x) { return x.metal == state.metal; });
      const int64_t price = prices.price_minor_per_t[r.price_index][j];
      BacktestRow row;
      row.month = month;
      row.metal = state.metal;
      row.price_minor_per_t = price;
      row.action = rec.action;
      row.recommended_g = rec.quantity_g;
      row.price_limit_minor_per_t = rec.price_limit_minor_per_t;
      if (rec.action == Action::kBuy) {
        row.filled = price <= rec.price_limit_minor_per_t;
        ++(row.filled ? t.buys_filled : t.buys_unfilled);
      } else if (rec.action == Action::kRelease) {
        row.filled = price >= rec.price_limit_minor_per_t;
        ++(row.filled ? t.releases_filled : t.releases_unfilled);
      }
      if (row.filled && rec.action == Action::kBuy) {
        row.bought_g = rec.quantity_g;
        row.spend_minor = *ValueOfMass(rec.quantity_g, price);  // <= amount_minor
        state.holdings_g += row.bought_g;
        r.acquired_year_g += row.bought_g;
        budget_left -= row.spend_minor;
        if (state.band && rec.band_amount_minor > 0) {
          state.band->funding_used_minor +=
              *MulDiv(rec.band_amount_minor, price, rec.price_limit_minor_per_t);
        }
      } else if (row.filled && rec.action == Action::kRelease) {
        row.released_g = rec.quantity_g;
        row.proceeds_minor = *ValueOfMass(rec.quantity_g, price);
        state.holdings_g -= row.released_g;
        r.disposed_year_g += row.released_g;
        if (config.release_proceeds_to_budget &&
            !Add(&budget_left, std::min(row.proceeds_minor, kMaxMoneyMinor - budget_left))) {
          return OutOfRange("budget");
        }
      }
      // Step 5.
      row.holdings_g = state.holdings_g;
      row.cover_days = *MulDiv(state.holdings_g, kDaysPerYear, state.consumption_g_per_year);
      row.target_g = rec.signals.target_g;
      row.below_target = state.holdings_g < row.target_g;
      row.budget_remaining_minor = budget_left;
      if (!Add(&t.bought_g, row.bought_g) || !Add(&t.spend_minor, row.spend_minor) ||
          !Add(&t.released_g, row.released_g) || !Add(&t.proceeds_minor, row.proceeds_minor) ||
          !Add(&r.sum_prices, price)) {
        return OutOfRange(absl::StrCat("totals of ", state.metal));
      }
      ++t.months;
      t.months_below_target += row.below_target ? 1 : 0;
      t.final_holdings_g = state.holdings_g;
      t.min_g = rec.signals.min_g;
      t.target_g = rec.signals.target_g;
      t.max_g = rec.signals.max_g;
      row.avg_cost_minor_per_t =
          t.bought_g > 0 ? *MulDiv(t.spend_minor, kGramsPerTonne, t.bought_g) : 0;
      row.avg_market_minor_per_t = *MulDiv(r.sum_prices, 1, t.months);
      std::vector<absl::string_view> ids;
      for (const FiredRule& f : rec.rules) ids.push_back(f.id);
      row.rule_ids = absl::StrJoin(ids, ";");
      out.rows.push_back(std::move(row));
      // The month's mark becomes history for the next decision.
      state.price_history.push_back({absl::CivilDay(month), price});
    }
  }
  if (!Add(&out.budget_lapsed_minor, budget_left)) {
    return OutOfRange("budget_lapsed_minor");
  }
  for (Running& r : run) {
    BacktestTotals& t = r.totals;
    t.avg_cost_minor_per_t =
        t.bought_g > 0 ? *MulDiv(t.spend_minor, kGramsPerTonne, t.bought_g) : 0;
    t.avg_market_minor_per_t = *MulDiv(r.sum_prices, 1, t.months);
    t.cost_vs_market_bp = t.bought_g > 0
                              ? *MulDiv(t.avg_cost_minor_per_t - t.avg_market_minor_per_t,
                                        kBasisPoints, t.avg_market_minor_per_t)
                              : 0;
    if (!Add(&out.spend_minor, t.spend_minor) || !Add(&out.proceeds_minor, t.proceeds_minor)) {
      return OutOfRange("totals");
    }
    out.totals.push_back(std::move(t));
  }
  return out;
}

std::vector<BacktestMetal> ReferenceBacktestMetals() {
  struct Spec {
    const char* metal;
    int64_t consumption_t_per_year;
    bool precious;
  };
  constexpr Spec kSpecs[] = {
      {"AL", 39'000'000, false}, {"CU", 14'000'000, false}, {"PB", 5'000'000, false},
      {"SN", 180'000, false},    {"NI", 1'300'000, false},  {"ZN", 6'800'000, false},
      {"AU", 1'000, true},       {"PT", 70, true},          {"AG", 3'400, true},
  };
  std::vector<BacktestMetal> out;
  for (const Spec& spec : kSpecs) {
    BacktestMetal m;
    m.metal = spec.metal;
    m.consumption_g_per_year = spec.consumption_t_per_year * kGramsPerTonne;
    m.cover_min_days = spec.precious ? 60 : 30;
    m.cover_target_days = spec.precious ? 120 : 60;
    m.cover_max_days = spec.precious ? 180 : 90;
    m.initial_holdings_g = *MulDiv(m.consumption_g_per_year, m.cover_min_days, kDaysPerYear);
    m.acquisition_ceiling_g_per_year = m.consumption_g_per_year / 20;
    m.disposal_ceiling_g_per_year = m.consumption_g_per_year / 20;
    out.push_back(std::move(m));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// CSV.

std::string BacktestRowsCsv(const BacktestResult& result) {
  std::string out =
      "month,metal,price_minor_per_t,action,recommended_g,price_limit_minor_per_t,filled,"
      "bought_g,spend_minor,released_g,proceeds_minor,holdings_g,cover_days,target_g,"
      "below_target,budget_remaining_minor,avg_cost_minor_per_t,avg_market_minor_per_t,"
      "rule_ids\n";
  // Every field is a number, a metal code (A-Z, 0-9, '-', '_'), an action name or rule ids
  // joined by ';': none needs RFC 4180 quoting.
  for (const BacktestRow& r : result.rows) {
    absl::StrAppend(&out, absl::FormatCivilTime(r.month), ",", r.metal, ",", r.price_minor_per_t,
                    ",", ActionName(r.action), ",", r.recommended_g, ",", r.price_limit_minor_per_t,
                    ",", r.filled ? 1 : 0, ",", r.bought_g, ",", r.spend_minor, ",", r.released_g,
                    ",", r.proceeds_minor, ",", r.holdings_g, ",");
    absl::StrAppend(&out, r.cover_days, ",", r.target_g, ",", r.below_target ? 1 : 0, ",",
                    r.budget_remaining_minor, ",", r.avg_cost_minor_per_t, ",",
                    r.avg_market_minor_per_t, ",", r.rule_ids, "\n");
  }
  return out;
}

std::string BacktestTotalsCsv(const BacktestResult& result) {
  std::string out =
      "metal,months,initial_holdings_g,bought_g,spend_minor,released_g,proceeds_minor,"
      "final_holdings_g,months_below_target,min_g,target_g,max_g,buys_filled,buys_unfilled,"
      "releases_filled,releases_unfilled,avg_cost_minor_per_t,avg_market_minor_per_t,"
      "cost_vs_market_bp\n";
  for (const BacktestTotals& t : result.totals) {
    absl::StrAppend(&out, t.metal, ",", t.months, ",", t.initial_holdings_g, ",", t.bought_g, ",",
                    t.spend_minor, ",", t.released_g, ",", t.proceeds_minor, ",",
                    t.final_holdings_g, ",", t.months_below_target, ",", t.min_g, ",");
    absl::StrAppend(&out, t.target_g, ",", t.max_g, ",", t.buys_filled, ",", t.buys_unfilled, ",",
                    t.releases_filled, ",", t.releases_unfilled, ",", t.avg_cost_minor_per_t, ",",
                    t.avg_market_minor_per_t, ",", t.cost_vs_market_bp, "\n");
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// SVG: one panel per metal. Coordinates are integers computed with MulDiv.

namespace {

constexpr int64_t kSvgWidth = 1100;
constexpr int64_t kPlotLeft = 90;
constexpr int64_t kPlotWidth = 920;
constexpr int64_t kPanelHeight = 260;
constexpr int64_t kPlotTop = 40;  // within a panel
constexpr int64_t kPlotHeight = 180;

int64_t X(size_t i, size_t n) {
  return n <= 1 ? kPlotLeft
                : kPlotLeft +
                      *MulDiv(static_cast<int64_t>(i), kPlotWidth, static_cast<int64_t>(n - 1));
}
int64_t Y(int64_t top, int64_t value, int64_t max) {
  return top + kPlotTop + kPlotHeight - *MulDiv(value, kPlotHeight, max);
}

std::string Polyline(const std::vector<int64_t>& values, int64_t top, int64_t max,
                     absl::string_view style) {
  std::string points;
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&points, i == 0 ? "" : " ", X(i, values.size()), ",", Y(top, values[i], max));
  }
  return absl::StrCat("<polyline fill=\"none\" ", style, " points=\"", points, "\"/>\n");
}

std::string Panel(const BacktestResult& result, const BacktestTotals& t, int64_t top) {
  std::vector<int64_t> holdings, price;
  std::vector<absl::CivilMonth> months;
  for (const BacktestRow& r : result.rows) {
    if (r.metal != t.metal) continue;
    holdings.push_back(r.holdings_g);
    price.push_back(r.price_minor_per_t);
    months.push_back(r.month);
  }
  int64_t mass_max = std::max(t.max_g, t.initial_holdings_g);
  for (int64_t h : holdings) mass_max = std::max(mass_max, h);
  mass_max = std::max<int64_t>(1, mass_max + mass_max / 10);
  int64_t price_max = 1;
  for (int64_t p : price) price_max = std::max(price_max, p);
  price_max += price_max / 10;

  std::string svg = absl::StrCat("<g>\n<text x=\"", kPlotLeft, "\" y=\"", top + 24,
                                 "\" font-size=\"15\" font-weight=\"bold\">", t.metal,
                                 ": holdings against the cover band (t, left) and price (",
                                 result.currency, "/t, right)</text>\n");
  // Frame and grid with labels: mass on the left, price on the right.
  for (int k = 0; k <= 4; ++k) {
    const int64_t y = top + kPlotTop + kPlotHeight - kPlotHeight * k / 4;
    absl::StrAppend(&svg, "<line x1=\"", kPlotLeft, "\" y1=\"", y, "\" x2=\"",
                    kPlotLeft + kPlotWidth, "\" y2=\"", y, "\" stroke=\"#ddd\"/>\n");
    absl::StrAppend(&svg, "<text x=\"", kPlotLeft - 6, "\" y=\"", y + 4,
                    "\" font-size=\"11\" text-anchor=\"end\">",
                    internal::FormatScaled(mass_max * k / 4 / kGramsPerTonne, 0, 0), "</text>\n");
    absl::StrAppend(&svg, "<text x=\"", kPlotLeft + kPlotWidth + 6, "\" y=\"", y + 4,
                    "\" font-size=\"11\" fill=\"#c60\">",
                    internal::FormatScaled(price_max * k / 4 / 100, 0, 0), "</text>\n");
  }
  // A tick and label at each decade's first January.
  for (size_t i = 0; i < months.size(); ++i) {
    if (months[i].month() != 1 || months[i].year() % 10 != 0) continue;
    const int64_t x = X(i, months.size());
    absl::StrAppend(&svg, "<line x1=\"", x, "\" y1=\"", top + kPlotTop, "\" x2=\"", x, "\" y2=\"",
                    top + kPlotTop + kPlotHeight, "\" stroke=\"#eee\"/>\n<text x=\"", x, "\" y=\"",
                    top + kPlotTop + kPlotHeight + 16,
                    "\" font-size=\"11\" text-anchor=\"middle\">", months[i].year(), "</text>\n");
  }
  const std::vector<int64_t> min_line(holdings.size(), t.min_g);
  const std::vector<int64_t> target_line(holdings.size(), t.target_g);
  const std::vector<int64_t> max_line(holdings.size(), t.max_g);
  absl::StrAppend(&svg, Polyline(price, top, price_max, "stroke=\"#e80\" stroke-width=\"1\""));
  absl::StrAppend(&svg,
                  Polyline(min_line, top, mass_max, "stroke=\"#999\" stroke-dasharray=\"2,3\""));
  absl::StrAppend(&svg,
                  Polyline(max_line, top, mass_max, "stroke=\"#999\" stroke-dasharray=\"2,3\""));
  absl::StrAppend(&svg, Polyline(target_line, top, mass_max,
                                 "stroke=\"#2a2\" stroke-dasharray=\"6,4\" stroke-width=\"1.5\""));
  absl::StrAppend(&svg, Polyline(holdings, top, mass_max, "stroke=\"#14c\" stroke-width=\"2\""));
  absl::StrAppend(&svg, "</g>\n");
  return svg;
}

}  // namespace

std::string BacktestSvg(const BacktestResult& result) {
  const int64_t legend = 30;
  const int64_t height = legend + kPanelHeight * static_cast<int64_t>(result.totals.size());
  std::string svg = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"",
      kSvgWidth, "\" height=\"", height, "\" viewBox=\"0 0 ", kSvgWidth, " ", height,
      "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  absl::StrAppend(&svg, "<text x=\"", kPlotLeft, "\" y=\"20\" font-size=\"12\">",
                  "<tspan fill=\"#14c\">holdings</tspan>  <tspan fill=\"#2a2\">target</tspan>  "
                  "<tspan fill=\"#999\">min / max cover</tspan>  <tspan fill=\"#e80\">price "
                  "(monthly average)</tspan>  Data: World Bank Commodity Price Data (The Pink "
                  "Sheet), CC BY 4.0</text>\n");
  for (size_t i = 0; i < result.totals.size(); ++i) {
    absl::StrAppend(
        &svg, Panel(result, result.totals[i], legend + kPanelHeight * static_cast<int64_t>(i)));
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace reserve::decision::engine
