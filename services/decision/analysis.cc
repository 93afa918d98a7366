// Decision: live recommendations, the optimiser and backtests. The rules, the solver and the
// simulation are the pure engines of services/decision/engine; this file gathers their
// inputs from the ledger.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/decision/decision.h"
#include "services/decision/keys.h"
#include "services/domain/dates.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision {
namespace {

namespace why = decision_reason;

// Price records read for one metal (all currencies): the engine's own limit, with room.
constexpr size_t kMaxPriceRecordsRead = 4 * engine::kMaxPriceMarks;

// Marks of `metal` in `currency` dated on or before `to`, oldest first (keys sort by date).
absl::StatusOr<std::vector<engine::PriceMark>> LoadPriceMarks(ledger::Ledger& ledger,
                                                              absl::string_view metal,
                                                              absl::string_view currency,
                                                              absl::CivilDay to) {
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger, keys::PricePrefix(metal), kMaxPriceRecordsRead);
  if (!records.ok()) return records.status();
  std::vector<engine::PriceMark> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<inventory::PriceMark> m = inventory::DecodePriceMark(r.value);
    if (!m.ok()) return m.status();
    if (m->currency != currency || m->date > to) continue;
    out.push_back(engine::PriceMark{m->date, m->price_minor_per_t});
  }
  return out;
}

// Points of one series dated on or before `to`, oldest first.
absl::StatusOr<std::vector<MarketPoint>> LoadSeries(ledger::Ledger& ledger, MarketSeries series,
                                                    absl::string_view metal, absl::CivilDay to) {
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger, keys::MarketPrefix(series, metal), kMaxMarketPointsRead);
  if (!records.ok()) return records.status();
  std::vector<MarketPoint> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<MarketPoint> p = DecodeMarketPoint(r.value);
    if (!p.ok()) return p.status();
    if (p->date <= to) out.push_back(*std::move(p));
  }
  return out;
}

absl::StatusOr<int64_t> LatestConsumption(ledger::Ledger& ledger, absl::string_view metal,
                                          absl::CivilDay date) {
  absl::StatusOr<std::vector<MarketPoint>> points =
      LoadSeries(ledger, MarketSeries::kConsumption, metal, date);
  if (!points.ok()) return points.status();
  if (points->empty()) {
    return Precondition(why::kNoConsumptionData,
                        absl::StrCat("no consumption figure for ", metal, " on or before ",
                                     domain::FormatDate(date)));
  }
  return points->back().value;
}

absl::StatusOr<std::vector<engine::UtilisationMark>> LoadUtilisation(ledger::Ledger& ledger,
                                                                     absl::string_view metal,
                                                                     absl::CivilDay date) {
  absl::StatusOr<std::vector<MarketPoint>> points =
      LoadSeries(ledger, MarketSeries::kCapacityUtilisation, metal, date);
  if (!points.ok()) return points.status();
  std::vector<engine::UtilisationMark> out;
  for (const MarketPoint& p : *points) out.push_back({p.date, p.value});
  return out;
}

absl::StatusOr<int64_t> HeldAsOf(inventory::Inventory& inventory, absl::string_view metal,
                                 std::optional<absl::CivilDay> date) {
  inventory::HoldingsQuery q;
  q.metal = std::string(metal);
  q.as_of = date;
  absl::StatusOr<inventory::Holdings> h = inventory.GetHoldings(q);
  if (!h.ok()) return h.status();
  int64_t total = 0;
  for (const inventory::HoldingRow& r : h->rows) {
    std::optional<int64_t> sum = CheckedAdd(total, r.mass_g);
    if (!sum.has_value()) return absl::OutOfRangeError("holdings overflow 64 bits");
    total = *sum;
  }
  return total;
}

// Validates a list of metal codes (distinct).
absl::Status CheckMetalList(const std::vector<std::string>& metals, absl::string_view field) {
  if (metals.size() > engine::kMaxMetals) {
    return InvalidField(field, absl::StrCat("at most ", engine::kMaxMetals, " metals"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < metals.size(); ++i) {
    std::string f = absl::StrCat(field, "[", i, "]");
    if (absl::Status s = CheckMetalCode(metals[i], f); !s.ok()) return s;
    if (!seen.insert(metals[i]).second) return InvalidField(f, "appears twice");
  }
  return absl::OkStatus();
}

absl::Status CheckMetalMap(const std::map<std::string, int64_t>& values, absl::string_view field,
                           int64_t max) {
  for (const auto& [metal, v] : values) {
    std::string f = absl::StrCat(field, "[", metal, "]");
    if (absl::Status s = CheckMetalCode(metal, f); !s.ok()) return s;
    if (v < 0 || v > max) return InvalidField(f, absl::StrCat("0..", max));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Recommendations ----

absl::StatusOr<Recommendations> Decision::Recommend(const RecommendationQuery& query) {
  if (absl::Status s = CheckDate(query.date, "date"); !s.ok()) return s;
  if (absl::Status s = CheckCurrency(query.currency, "currency"); !s.ok()) return s;
  if (absl::Status s = CheckMetalList(query.metals, "metals"); !s.ok()) return s;
  std::vector<std::string> metals = query.metals;
  if (metals.empty()) {
    absl::StatusOr<std::vector<std::string>> all = TargetMetals();
    if (!all.ok()) return all.status();
    metals = *std::move(all);
  }
  Recommendations out;
  out.date = query.date;
  out.currency = query.currency;
  if (metals.empty()) return out;
  const int32_t year = query.date.year();
  // Budget, ceilings and the band fund are limits as they stand now (for the date's year);
  // holdings, prices, consumption and utilisation are read as of the date.
  absl::StatusOr<BudgetView> budget = ReadBudget(year, std::nullopt);
  if (budget.ok() && budget->currency == query.currency) {
    out.budget_remaining_minor = budget->available_minor;
  } else if (!budget.ok() && budget.status().code() != absl::StatusCode::kNotFound) {
    return budget.status();
  }
  engine::RecommendationInput input;
  input.as_of = query.date;
  input.budget_remaining_minor = out.budget_remaining_minor;
  input.currency = query.currency;
  std::map<std::string, LiveRecommendation> live;
  for (const std::string& metal : metals) {
    absl::StatusOr<TargetView> target = GetTarget(metal);
    if (!target.ok()) return target.status();
    engine::MetalState m;
    m.metal = metal;
    absl::StatusOr<int64_t> held = HeldAsOf(*inventory_, metal, query.date);
    if (!held.ok()) return held.status();
    m.holdings_g = *held;
    absl::StatusOr<int64_t> consumption = LatestConsumption(ledger_, metal, query.date);
    if (!consumption.ok()) return consumption.status();
    m.consumption_g_per_year = *consumption;
    m.cover_min_days = target->target.cover_min_days;
    m.cover_target_days = target->target.cover_target_days;
    m.cover_max_days = target->target.cover_max_days;
    absl::StatusOr<std::optional<Loaded<AnnualCeiling>>> ceiling =
        LoadCeiling(ledger_, metal, year);
    if (!ceiling.ok()) return ceiling.status();
    if (ceiling->has_value()) {
      std::string acq = keys::CeilingUsedAccount(metal, year, Direction::kAcquire);
      std::string dis = keys::CeilingUsedAccount(metal, year, Direction::kRelease);
      absl::StatusOr<std::map<std::string, int64_t>> used = ReadBalances(ledger_, {acq, dis});
      if (!used.ok()) return used.status();
      m.acquisition_ceiling_g = (*ceiling)->value.acquire_ceiling_g;
      m.disposal_ceiling_g = (*ceiling)->value.dispose_ceiling_g;
      m.acquired_this_year_g = std::max<int64_t>(0, (*used)[acq]);
      m.disposed_this_year_g = std::max<int64_t>(0, (*used)[dis]);
    }
    if (target->target.band.has_value() && target->target.band->currency == query.currency) {
      const PriceBand& band = *target->target.band;
      std::string fund = keys::BandFundAccount(band.currency, metal);
      absl::StatusOr<std::map<std::string, int64_t>> available = ReadBalances(ledger_, {fund});
      if (!available.ok()) return available.status();
      int64_t used = std::clamp<int64_t>(band.funding_limit_minor - (*available)[fund], 0,
                                         band.funding_limit_minor);
      m.band = engine::PriceBand{band.floor_minor_per_t, band.ceiling_minor_per_t,
                                 band.funding_limit_minor, used};
    }
    absl::StatusOr<std::vector<engine::PriceMark>> prices =
        LoadPriceMarks(ledger_, metal, query.currency, query.date);
    if (!prices.ok()) return prices.status();
    if (prices->empty()) {
      return Precondition(why::kNoPriceMark,
                          absl::StrCat("no ", query.currency, " price mark for ", metal,
                                       " on or before ", domain::FormatDate(query.date)));
    }
    m.price_history = *std::move(prices);
    absl::StatusOr<std::vector<engine::UtilisationMark>> util =
        LoadUtilisation(ledger_, metal, query.date);
    if (!util.ok()) return util.status();
    m.capacity_utilisation = *std::move(util);
    live[metal] = LiveRecommendation{{}, m.holdings_g, m.consumption_g_per_year};
    input.metals.push_back(std::move(m));
  }
  absl::StatusOr<engine::RecommendationSet> set = engine::Recommend(options_.rules, input);
  if (!set.ok()) return set.status();
  for (engine::Recommendation& r : set->recommendations) {
    LiveRecommendation& l = live[r.metal];
    l.recommendation = std::move(r);
    out.metals.push_back(std::move(l));
  }
  return out;
}

// ---- Optimiser ----

absl::StatusOr<Optimisation> Decision::Optimise(const OptimiseQuery& query) {
  if (absl::Status s = CheckYear(query.year, "year"); !s.ok()) return s;
  if (absl::Status s = CheckDate(query.date, "date"); !s.ok()) return s;
  if (absl::Status s = CheckCurrency(query.currency, "currency"); !s.ok()) return s;
  if (absl::Status s = CheckMetalList(query.metals, "metals"); !s.ok()) return s;
  if (query.budget_minor < 0 || query.budget_minor > engine::kMaxMoneyMinor) {
    return InvalidField("budget_minor", "0..10^17");
  }
  if (query.market_impact_cap_bp < 0 || query.market_impact_cap_bp > kMaxBasisPoints) {
    return InvalidField("market_impact_cap_bp", "0..10000");
  }
  if (query.months < 0 || query.months > engine::kMaxHorizonMonths) {
    return InvalidField("months", absl::StrCat("0..", engine::kMaxHorizonMonths));
  }
  for (const auto& [depot, h] : query.handling_minor_per_t) {
    std::string f = absl::StrCat("handling_minor_per_t[", depot, "]");
    if (absl::Status s = CheckId(depot, f); !s.ok()) return s;
    if (h < 0 || h > engine::kMaxPriceMinorPerT) return InvalidField(f, "must not be negative");
  }
  std::vector<std::string> metals = query.metals;
  if (metals.empty()) {
    absl::StatusOr<std::vector<std::string>> all = TargetMetals();
    if (!all.ok()) return all.status();
    metals = *std::move(all);
  }
  if (metals.empty()) {
    return Precondition(why::kNothingToPropose, "no metal has a target to optimise for");
  }
  Optimisation out;
  out.currency = query.currency;
  out.budget_minor = query.budget_minor;
  if (out.budget_minor == 0) {
    absl::StatusOr<BudgetView> budget = ReadBudget(query.year, std::nullopt);
    if (!budget.ok()) {
      if (budget.status().code() == absl::StatusCode::kNotFound) {
        return Precondition(why::kBudgetNotSet, absl::StrCat("no budget is set for ", query.year));
      }
      return budget.status();
    }
    if (budget->currency != query.currency) {
      return Precondition(why::kBudgetCurrency,
                          absl::StrCat("the ", query.year, " budget is in ", budget->currency));
    }
    out.budget_minor = budget->available_minor;
  }
  engine::OptimizerInput input;
  input.budget_minor = out.budget_minor;
  input.market_impact_share_bp = query.market_impact_cap_bp != 0
                                     ? query.market_impact_cap_bp
                                     : options_.rules.market_impact_share_bp;
  input.horizon_months = query.months != 0 ? query.months : kDefaultHorizonMonths;
  input.granularity_g = options_.rules.order_granularity_g;
  for (const std::string& metal : metals) {
    absl::StatusOr<TargetView> target = GetTarget(metal);
    if (!target.ok()) return target.status();
    engine::OptimizerMetal m;
    m.metal = metal;
    absl::StatusOr<int64_t> held = HeldAsOf(*inventory_, metal, query.date);
    if (!held.ok()) return held.status();
    m.holdings_g = *held;
    absl::StatusOr<int64_t> consumption = LatestConsumption(ledger_, metal, query.date);
    if (!consumption.ok()) return consumption.status();
    m.consumption_g_per_year = *consumption;
    std::optional<int64_t> target_g =
        MulDiv(*consumption, target->target.cover_target_days, engine::kDaysPerYear);
    if (!target_g.has_value()) return absl::OutOfRangeError("target stock overflows");
    m.target_g = *target_g;
    m.weight = target->target.weight;
    absl::StatusOr<std::vector<engine::PriceMark>> prices =
        LoadPriceMarks(ledger_, metal, query.currency, query.date);
    if (!prices.ok()) return prices.status();
    if (prices->empty()) {
      return Precondition(why::kNoPriceMark,
                          absl::StrCat("no ", query.currency, " price mark for ", metal,
                                       " on or before ", domain::FormatDate(query.date)));
    }
    m.price_minor_per_t = prices->back().price_minor_per_t;
    std::string ceiling = keys::CeilingAccount(metal, query.year, Direction::kAcquire);
    absl::StatusOr<std::map<std::string, int64_t>> left = ReadBalances(ledger_, {ceiling});
    if (!left.ok()) return left.status();
    m.ceiling_remaining_g = std::max<int64_t>(0, (*left)[ceiling]);
    input.metals.push_back(std::move(m));
  }
  absl::StatusOr<std::vector<inventory::Depot>> depots = inventory_->ListDepots();
  if (!depots.ok()) return depots.status();
  std::vector<std::string> accounts;
  for (const inventory::Depot& d : *depots) {
    for (const std::string& metal : metals) {
      if (d.capacity_g.contains(metal)) accounts.push_back(keys::CapacityAccount(metal, d.id));
    }
  }
  absl::StatusOr<std::map<std::string, int64_t>> free = ReadBalances(ledger_, accounts);
  if (!free.ok()) return free.status();
  for (const inventory::Depot& d : *depots) {
    engine::OptimizerDepot od;
    od.depot = d.id;
    auto h = query.handling_minor_per_t.find(d.id);
    od.handling_minor_per_t = h == query.handling_minor_per_t.end() ? 0 : h->second;
    for (const std::string& metal : metals) {
      if (!d.capacity_g.contains(metal)) continue;
      int64_t room = (*free)[keys::CapacityAccount(metal, d.id)];
      if (room > 0) od.capacity.push_back(engine::DepotCapacity{metal, room});
    }
    if (!od.capacity.empty()) input.depots.push_back(std::move(od));
  }
  if (input.depots.empty()) {
    return Precondition(why::kNoDepotCapacity, "no depot has room for these metals");
  }
  absl::StatusOr<engine::OptimizerResult> result = engine::Optimize(input);
  if (!result.ok()) return result.status();
  out.result = *std::move(result);
  return out;
}

// ---- Backtest ----

absl::StatusOr<engine::BacktestResult> Decision::Backtest(const BacktestQuery& query) {
  if (absl::Status s = CheckMetalList(query.metals, "metals"); !s.ok()) return s;
  if (absl::Status s = CheckCurrency(query.currency, "currency"); !s.ok()) return s;
  if (query.first_month.has_value() && query.last_month.has_value() &&
      *query.last_month < *query.first_month) {
    return InvalidField("to_date", "must not be before from_date");
  }
  if (query.budget_minor_per_year < 0 || query.budget_minor_per_year > engine::kMaxMoneyMinor) {
    return InvalidField("annual_budget_minor", "0..10^17");
  }
  if (absl::Status s =
          CheckMetalMap(query.consumption_g_per_year, "consumption_g_per_year", engine::kMaxMassG);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckMetalMap(query.initial_holdings_g, "initial_holdings_g", engine::kMaxMassG);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckMetalMap(query.acquisition_ceiling_g_per_year,
                                     "acquisition_ceiling_g_per_year", engine::kMaxMassG);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckMetalMap(query.disposal_ceiling_g_per_year,
                                     "disposal_ceiling_g_per_year", engine::kMaxMassG);
      !s.ok()) {
    return s;
  }
  std::map<std::string, Target> overrides;
  for (size_t i = 0; i < query.targets.size(); ++i) {
    const Target& t = query.targets[i];
    std::string f = absl::StrCat("targets[", i, "]");
    if (absl::Status s = CheckMetalCode(t.metal, f + ".metal"); !s.ok()) return s;
    if (t.cover_min_days < 0 || t.cover_target_days < t.cover_min_days ||
        t.cover_max_days < t.cover_target_days || t.cover_max_days > kMaxCoverDays) {
      return InvalidField(f, "needs 0 <= min <= target <= max <= 3650 days");
    }
    if (!overrides.emplace(t.metal, t).second) return InvalidField(f, "a second target");
  }
  std::vector<std::string> metals = query.metals;
  if (metals.empty()) {
    absl::StatusOr<std::vector<std::string>> all = TargetMetals();
    if (!all.ok()) return all.status();
    metals = *std::move(all);
    for (const auto& [metal, t] : overrides) {
      if (std::find(metals.begin(), metals.end(), metal) == metals.end()) metals.push_back(metal);
    }
  }
  if (metals.empty()) return InvalidField("metals", "no metal given and no metal has a target");

  // The price table: each metal's marks in the currency, averaged per month, over the months
  // every metal has.
  engine::MonthlyPrices table;
  std::vector<std::map<absl::CivilMonth, int64_t>> monthly;
  std::optional<absl::CivilMonth> common_first, common_last;
  for (const std::string& metal : metals) {
    absl::StatusOr<std::vector<engine::PriceMark>> marks =
        LoadPriceMarks(ledger_, metal, query.currency, ledger::kMaxBusinessDate);
    if (!marks.ok()) return marks.status();
    if (marks->empty()) {
      return Precondition(why::kNoPriceMark,
                          absl::StrCat("no ", query.currency, " price marks for ", metal));
    }
    std::map<absl::CivilMonth, std::pair<int64_t, int64_t>> sums;  // month -> (sum, count)
    for (const engine::PriceMark& p : *marks) {
      auto& [sum, n] = sums[absl::CivilMonth(p.date)];
      std::optional<int64_t> s = CheckedAdd(sum, p.price_minor_per_t);
      if (!s.has_value()) return absl::OutOfRangeError("price sum overflows");
      sum = *s;
      ++n;
    }
    std::map<absl::CivilMonth, int64_t> avg;
    for (const auto& [month, sn] : sums) avg[month] = *MulDiv(sn.first, 1, sn.second);
    absl::CivilMonth first = avg.begin()->first;
    absl::CivilMonth last = avg.rbegin()->first;
    common_first = common_first.has_value() ? std::max(*common_first, first) : first;
    common_last = common_last.has_value() ? std::min(*common_last, last) : last;
    monthly.push_back(std::move(avg));
  }
  if (*common_last < *common_first ||
      static_cast<size_t>(*common_last - *common_first + 1) > engine::kMaxPriceTableMonths) {
    return Precondition(why::kPriceGap, "the metals' price histories share no usable months");
  }
  for (absl::CivilMonth m = *common_first; m <= *common_last; ++m) table.months.push_back(m);
  for (size_t i = 0; i < metals.size(); ++i) {
    table.metals.push_back(metals[i]);
    std::vector<int64_t> row;
    for (absl::CivilMonth m : table.months) {
      auto it = monthly[i].find(m);
      if (it == monthly[i].end()) {
        return Precondition(why::kPriceGap, absl::StrCat(metals[i], " has no ", query.currency,
                                                         " price in ", absl::FormatCivilTime(m)));
      }
      row.push_back(it->second);
    }
    table.price_minor_per_t.push_back(std::move(row));
  }

  if (query.first_month.has_value() &&
      (*query.first_month < table.months.front() || *query.first_month > table.months.back())) {
    return InvalidField("from_date",
                        absl::StrCat("outside the months with prices for every metal (",
                                     absl::FormatCivilTime(table.months.front()), " to ",
                                     absl::FormatCivilTime(table.months.back()), ")"));
  }
  if (query.last_month.has_value() &&
      (*query.last_month < table.months.front() || *query.last_month > table.months.back())) {
    return InvalidField("to_date", absl::StrCat("outside the months with prices for every metal (",
                                                absl::FormatCivilTime(table.months.front()), " to ",
                                                absl::FormatCivilTime(table.months.back()), ")"));
  }
  engine::BacktestConfig config;
  config.rules = options_.rules;
  config.first_month = query.first_month.value_or(table.months.front());
  config.last_month = query.last_month.value_or(table.months.back());
  config.budget_minor_per_year = query.budget_minor_per_year;
  config.release_proceeds_to_budget = query.release_proceeds_to_budget;
  config.currency = query.currency;
  for (const std::string& metal : metals) {
    engine::BacktestMetal m;
    m.metal = metal;
    auto c = query.consumption_g_per_year.find(metal);
    if (c != query.consumption_g_per_year.end() && c->second > 0) {
      m.consumption_g_per_year = c->second;
    } else {
      absl::StatusOr<int64_t> latest = LatestConsumption(ledger_, metal, ledger::kMaxBusinessDate);
      if (!latest.ok()) return latest.status();
      m.consumption_g_per_year = *latest;
    }
    Target target;
    if (auto o = overrides.find(metal); o != overrides.end()) {
      target = o->second;
    } else {
      absl::StatusOr<TargetView> stored = GetTarget(metal);
      if (!stored.ok()) return stored.status();
      target = stored->target;
    }
    m.cover_min_days = target.cover_min_days;
    m.cover_target_days = target.cover_target_days;
    m.cover_max_days = target.cover_max_days;
    if (target.band.has_value() && target.band->currency == query.currency) {
      m.band = engine::PriceBand{target.band->floor_minor_per_t, target.band->ceiling_minor_per_t,
                                 target.band->funding_limit_minor, 0};
    }
    auto h = query.initial_holdings_g.find(metal);
    m.initial_holdings_g = h == query.initial_holdings_g.end() ? 0 : h->second;
    auto a = query.acquisition_ceiling_g_per_year.find(metal);
    m.acquisition_ceiling_g_per_year =
        a == query.acquisition_ceiling_g_per_year.end() ? engine::kMaxMassG : a->second;
    auto d = query.disposal_ceiling_g_per_year.find(metal);
    m.disposal_ceiling_g_per_year =
        d == query.disposal_ceiling_g_per_year.end() ? engine::kMaxMassG : d->second;
    absl::StatusOr<std::vector<engine::UtilisationMark>> util =
        LoadUtilisation(ledger_, metal, ledger::kMaxBusinessDate);
    if (!util.ok()) return util.status();
    m.capacity_utilisation = *std::move(util);
    config.metals.push_back(std::move(m));
  }
  return engine::RunBacktest(config, table);
}

}  // namespace reserve::decision
