// Decision: creation, market data, targets, annual ceilings, budgets and the approval policy.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/decision/decision.h"
#include "services/decision/keys.h"
#include "services/domain/dates.h"
#include "services/inventory/csv_reader.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision {
namespace {

namespace why = decision_reason;

// "12345.678901" tonnes -> grams; nullopt unless digits with at most 6 decimals that fit.
std::optional<int64_t> ParseTonnes(absl::string_view text) {
  size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  absl::string_view frac = dot == absl::string_view::npos ? "" : text.substr(dot + 1);
  auto digits = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
  };
  if (whole.empty() || whole.size() > 12 || frac.size() > 6 || !digits(whole) || !digits(frac) ||
      (dot != absl::string_view::npos && frac.empty())) {
    return std::nullopt;
  }
  int64_t tonnes = 0;
  int64_t micro = 0;
  if (!absl::SimpleAtoi(whole, &tonnes)) return std::nullopt;
  std::string padded(frac);
  padded.resize(6, '0');
  if (!absl::SimpleAtoi(padded, &micro)) return std::nullopt;
  std::optional<int64_t> g = CheckedMul(tonnes, kGramsPerTonne);
  if (!g.has_value()) return std::nullopt;
  return CheckedAdd(*g, micro);
}

absl::Status CheckMarketPoint(const MarketPoint& p, const std::string& f) {
  if (p.series == MarketSeries::kUnspecified) return InvalidField(f + ".series", "required");
  if (absl::Status s = CheckMetalCode(p.metal, f + ".metal"); !s.ok()) return s;
  if (absl::Status s = CheckDate(p.date, f + ".date"); !s.ok()) return s;
  if (p.series == MarketSeries::kConsumption) {
    if (p.value <= 0 || p.value > engine::kMaxMassG) {
      return InvalidField(f + ".value", "consumption in grams per year, 1..10^14");
    }
  } else if (p.value < 0 || p.value > kMaxBasisPoints) {
    return InvalidField(f + ".value", "basis points, 0..10000");
  }
  return CheckText(p.source, f + ".source", true);
}

absl::Status CheckTarget(const Target& t) {
  if (absl::Status s = CheckMetalCode(t.metal, "target.metal"); !s.ok()) return s;
  if (t.cover_min_days < 0) return InvalidField("target.cover_min_days", "must not be negative");
  if (t.cover_target_days < t.cover_min_days) {
    return InvalidField("target.cover_target_days", "must be at least cover_min_days");
  }
  if (t.cover_max_days < t.cover_target_days) {
    return InvalidField("target.cover_max_days", "must be at least cover_target_days");
  }
  if (t.cover_max_days > kMaxCoverDays) {
    return InvalidField("target.cover_max_days", absl::StrCat("at most ", kMaxCoverDays));
  }
  if (t.weight < 1 || t.weight > kMaxWeight) {
    return InvalidField("target.weight", absl::StrCat("between 1 and ", kMaxWeight));
  }
  if (t.band.has_value()) {
    const PriceBand& b = *t.band;
    if (b.floor_minor_per_t <= 0 || b.floor_minor_per_t > engine::kMaxPriceMinorPerT) {
      return InvalidField("target.band.floor_minor_per_t", "must be positive");
    }
    if (b.ceiling_minor_per_t <= b.floor_minor_per_t ||
        b.ceiling_minor_per_t > engine::kMaxPriceMinorPerT) {
      return InvalidField("target.band.ceiling_minor_per_t", "must be above the floor");
    }
    if (absl::Status s = CheckCurrency(b.currency, "target.band.currency"); !s.ok()) return s;
    if (b.funding_limit_minor < 0 || b.funding_limit_minor > engine::kMaxMoneyMinor) {
      return InvalidField("target.band.funding_limit_minor", "0..10^17");
    }
  }
  return absl::OkStatus();
}

json TargetViewJson(const TargetView& v) {
  return {{"target", json::parse(EncodeTarget(v.target))},
          {"band_fund_available_minor", v.band_fund_available_minor}};
}

absl::StatusOr<TargetView> TargetViewFromJson(const json& j) {
  absl::StatusOr<Target> t = DecodeTarget(j.at("target").dump());
  if (!t.ok()) return t.status();
  return TargetView{*std::move(t), j.at("band_fund_available_minor").get<int64_t>()};
}

json CeilingViewJson(const CeilingView& v) {
  return {{"ceiling", json::parse(EncodeAnnualCeiling(v.ceiling))},
          {"acquire_remaining_g", v.acquire_remaining_g},
          {"dispose_remaining_g", v.dispose_remaining_g}};
}

absl::StatusOr<CeilingView> CeilingViewFromJson(const json& j) {
  absl::StatusOr<AnnualCeiling> c = DecodeAnnualCeiling(j.at("ceiling").dump());
  if (!c.ok()) return c.status();
  return CeilingView{*std::move(c), j.at("acquire_remaining_g").get<int64_t>(),
                     j.at("dispose_remaining_g").get<int64_t>()};
}

json BudgetViewJson(const BudgetView& v) {
  return {{"year", v.year},
          {"currency", v.currency},
          {"appropriated_minor", v.appropriated_minor},
          {"available_minor", v.available_minor},
          {"committed_minor", v.committed_minor},
          {"spent_minor", v.spent_minor}};
}

absl::StatusOr<BudgetView> BudgetViewFromJson(const json& j) {
  return BudgetView{j.at("year").get<int32_t>(),
                    j.at("currency").get<std::string>(),
                    j.at("appropriated_minor").get<int64_t>(),
                    j.at("available_minor").get<int64_t>(),
                    j.at("committed_minor").get<int64_t>(),
                    j.at("spent_minor").get<int64_t>()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Decision>> Decision::Create(ledger::Ledger& ledger,
                                                           DecisionOptions options) {
  if (absl::Status s = engine::ValidateRuleSet(options.rules); !s.ok()) return s;
  if (options.default_policy.two_approver_threshold_minor < 0) {
    return absl::InvalidArgumentError("default_policy.two_approver_threshold_minor < 0");
  }
  auto book = std::make_unique<OrderBook>(ledger);
  inventory::InventoryOptions inventory_options;
  inventory_options.order_hook = book.get();
  absl::StatusOr<std::unique_ptr<inventory::Inventory>> inv =
      inventory::Inventory::Create(ledger, inventory_options);
  if (!inv.ok()) return inv.status();
  return std::unique_ptr<Decision>(
      new Decision(ledger, std::move(options), std::move(book), *std::move(inv)));
}

absl::Status Decision::CheckMetalExists(absl::string_view metal) {
  absl::StatusOr<inventory::Metal> m = inventory_->GetMetal(metal);
  return m.status();
}

// ---- Market data ----

absl::StatusOr<Mutation<size_t>> Decision::AddMarketData(const Context& ctx,
                                                         const std::vector<MarketPoint>& points) {
  if (points.empty()) return InvalidField("points", "at least one point");
  if (points.size() > kMaxMarketPointsPerImport) {
    return InvalidField("points", absl::StrCat("at most ", kMaxMarketPointsPerImport, " points"));
  }
  std::set<std::string> seen;
  json req = json::array();
  for (size_t i = 0; i < points.size(); ++i) {
    std::string f = absl::StrCat("points[", i, "]");
    if (absl::Status s = CheckMarketPoint(points[i], f); !s.ok()) return s;
    if (!seen.insert(keys::MarketPointKey(points[i])).second) {
      return InvalidField(f, "a second point for the same series, metal and date");
    }
    req.push_back(json::parse(EncodeMarketPoint(points[i])));
  }
  auto planner = [&]() -> absl::StatusOr<Plan> {
    std::set<std::string> metals;
    for (const MarketPoint& p : points) {
      if (metals.insert(p.metal).second) {
        if (absl::Status s = CheckMetalExists(p.metal); !s.ok()) return s;
      }
    }
    std::vector<std::string> point_keys;
    for (const MarketPoint& p : points) point_keys.push_back(keys::MarketPointKey(p));
    absl::StatusOr<ledger::RecordSet> existing = ReadRecords(ledger_, point_keys);
    if (!existing.ok()) return existing.status();
    Plan plan;
    for (size_t i = 0; i < points.size(); ++i) {
      plan.tx.writes.push_back(ledger::RecordWrite{point_keys[i], existing->records[i].version,
                                                   EncodeMarketPoint(points[i]), false});
    }
    plan.response = {{"count", points.size()}};
    return plan;
  };
  return Convert<size_t>(
      Mutate(ledger_, ctx, "decision.add_market_data", req, planner),
      [](const json& j) -> absl::StatusOr<size_t> { return j.at("count").get<size_t>(); });
}

absl::StatusOr<Mutation<size_t>> Decision::ImportMarketDataCsv(const Context& ctx,
                                                               absl::string_view csv) {
  absl::StatusOr<std::vector<inventory::CsvRow>> rows =
      inventory::ParseCsv(csv, kMaxMarketPointsPerImport + 1, "csv");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return InvalidField("csv", "empty: a header row is required");
  const std::vector<std::string> columns = {"series", "metal", "date", "value", "source"};
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rows->front().size(); ++i) {
    index[std::string(absl::StripAsciiWhitespace(rows->front()[i]))] = i;
  }
  for (const std::string& c : columns) {
    if (!index.contains(c)) return InvalidField("csv", absl::StrCat("header lacks column ", c));
  }
  std::vector<MarketPoint> points;
  for (size_t r = 1; r < rows->size(); ++r) {
    const inventory::CsvRow& row = (*rows)[r];
    std::string p = absl::StrCat("csv.rows[", r, "]");
    if (row.size() != rows->front().size()) {
      return InvalidField(
          p, absl::StrCat("has ", row.size(), " fields; the header has ", rows->front().size()));
    }
    MarketPoint m;
    std::optional<MarketSeries> series = ParseMarketSeries(row[index["series"]]);
    if (!series.has_value()) {
      return InvalidField(p + ".series", "consumption, capacity_utilisation or import_dependence");
    }
    m.series = *series;
    m.metal = row[index["metal"]];
    std::optional<absl::CivilDay> date = domain::ParseDate(row[index["date"]]);
    if (!date.has_value()) return InvalidField(p + ".date", "not a YYYY-MM-DD date");
    m.date = *date;
    const std::string& value = row[index["value"]];
    if (m.series == MarketSeries::kConsumption) {
      std::optional<int64_t> g = ParseTonnes(value);
      if (!g.has_value()) {
        return InvalidField(p + ".value", "tonnes per year: digits with at most 6 decimals");
      }
      m.value = *g;
    } else if (!absl::SimpleAtoi(value, &m.value)) {
      return InvalidField(p + ".value", "basis points: an integer");
    }
    m.source = row[index["source"]];
    points.push_back(std::move(m));
  }
  if (points.empty()) return InvalidField("csv", "no data rows");
  return AddMarketData(ctx, points);
}

absl::StatusOr<MarketPage> Decision::ListMarketData(MarketSeries series, absl::string_view metal,
                                                    absl::CivilDay from, absl::CivilDay to,
                                                    size_t page_size,
                                                    const std::string& page_token) {
  if (series == MarketSeries::kUnspecified) return InvalidField("series", "required");
  if (absl::Status s = CheckMetalCode(metal, "metal"); !s.ok()) return s;
  if (absl::Status s = domain::CheckPageSize(page_size); !s.ok()) return s;
  MarketPage out;
  std::string token = page_token;
  std::string prefix = keys::MarketPrefix(series, metal);
  size_t scanned = 0;
  while (true) {
    absl::StatusOr<ledger::RecordPage> p =
        ScanPage(ledger_, prefix, page_size - out.points.size(), token);
    if (!p.ok()) return p.status();
    bool past_end = false;
    for (const ledger::Record& r : p->records) {
      absl::StatusOr<MarketPoint> point = DecodeMarketPoint(r.value);
      if (!point.ok()) return point.status();
      if (point->date > to) {
        past_end = true;
        break;
      }
      if (point->date >= from) out.points.push_back(*std::move(point));
    }
    scanned += p->records.size();
    out.next_page_token = past_end ? "" : p->next_page_token;
    if (out.next_page_token.empty() || out.points.size() >= page_size ||
        scanned >= kMaxRecordsScannedPerList) {
      return out;
    }
    token = out.next_page_token;
  }
}

absl::StatusOr<std::vector<MarketPointVersion>> Decision::MarketPointHistory(
    MarketSeries series, absl::string_view metal, absl::CivilDay date) {
  if (series == MarketSeries::kUnspecified) return InvalidField("series", "required");
  if (absl::Status s = CheckMetalCode(metal, "metal"); !s.ok()) return s;
  if (absl::Status s = CheckDate(date, "date"); !s.ok()) return s;
  std::string key = keys::MarketPointKey(MarketPoint{series, std::string(metal), date, 0, ""});
  absl::StatusOr<std::vector<ledger::Seq>> seqs = ledger_.RecordHistory(key, {});
  if (!seqs.ok()) return seqs.status();
  if (seqs->empty()) {
    return NotFound(why::kUnknownMarketPoint,
                    absl::StrCat("no ", MarketSeriesName(series), " point for ", metal, " on ",
                                 domain::FormatDate(date)));
  }
  std::vector<MarketPointVersion> out;
  for (ledger::Seq seq : *seqs) {
    absl::StatusOr<std::vector<ledger::JournalEntry>> entries = ledger_.ReadJournal(seq, 1);
    if (!entries.ok()) return entries.status();
    if (entries->empty())
      return absl::DataLossError(absl::StrCat("journal entry ", seq, " missing"));
    for (const ledger::RecordWrite& w : entries->front().tx.writes) {
      if (w.key != key || w.erase) continue;
      absl::StatusOr<MarketPoint> p = DecodeMarketPoint(w.value);
      if (!p.ok()) return p.status();
      out.push_back(MarketPointVersion{seq, entries->front().tx.principal, *std::move(p)});
    }
  }
  return out;
}

// ---- Targets ----

absl::StatusOr<Mutation<TargetView>> Decision::SetTarget(const Context& ctx, const Target& target) {
  if (absl::Status s = CheckTarget(target); !s.ok()) return s;
  json req = json::parse(EncodeTarget(target));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    if (absl::Status s = CheckMetalExists(target.metal); !s.ok()) return s;
    absl::StatusOr<ledger::Record> old = ReadRecord(ledger_, keys::TargetKey(target.metal));
    if (!old.ok()) return old.status();
    std::optional<PriceBand> old_band;
    if (old->version != 0) {
      absl::StatusOr<Target> t = DecodeTarget(old->value);
      if (!t.ok()) return t.status();
      old_band = t->band;
    }
    // The band fund moves by the change of the limit (per currency).
    std::map<std::string, int64_t> delta;
    if (old_band.has_value()) delta[old_band->currency] -= old_band->funding_limit_minor;
    if (target.band.has_value()) delta[target.band->currency] += target.band->funding_limit_minor;
    std::vector<std::string> funds;
    for (const auto& [currency, d] : delta) {
      funds.push_back(keys::BandFundAccount(currency, target.metal));
    }
    absl::StatusOr<std::map<std::string, int64_t>> available = ReadBalances(ledger_, funds);
    if (!available.ok()) return available.status();
    TxBuilder b;
    int64_t available_after = 0;
    for (const auto& [currency, d] : delta) {
      std::string fund = keys::BandFundAccount(currency, target.metal);
      int64_t now = (*available)[fund];
      if (now + d < 0) {
        return Precondition(
            why::kBandBelowCommitted,
            absl::StrCat("the ", target.metal, " band fund has ", now, " ", currency,
                         " minor uncommitted; lowering the limit by ", -d, " would overdraw it"));
      }
      b.Move(currency, keys::BandLimitAccount(currency, target.metal), false, fund, true, d);
      if (target.band.has_value() && currency == target.band->currency) available_after = now + d;
    }
    Plan plan;
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::TargetKey(target.metal), old->version,
                                                 EncodeTarget(target), false});
    plan.response = TargetViewJson(TargetView{target, available_after});
    return plan;
  };
  return Convert<TargetView>(Mutate(ledger_, ctx, "decision.set_target", req, planner),
                             TargetViewFromJson);
}

absl::StatusOr<TargetView> Decision::GetTarget(absl::string_view metal) {
  if (absl::Status s = CheckMetalCode(metal, "metal"); !s.ok()) return s;
  absl::StatusOr<Loaded<Target>> t =
      Load<Target>(ledger_, keys::TargetKey(metal), why::kUnknownTarget,
                   absl::StrCat("no target is set for ", metal), &DecodeTarget);
  if (!t.ok()) return t.status();
  TargetView v{t->value, 0};
  if (v.target.band.has_value()) {
    std::string fund = keys::BandFundAccount(v.target.band->currency, metal);
    absl::StatusOr<std::map<std::string, int64_t>> b = ReadBalances(ledger_, {fund});
    if (!b.ok()) return b.status();
    v.band_fund_available_minor = (*b)[fund];
  }
  return v;
}

absl::StatusOr<std::vector<TargetView>> Decision::ListTargets() {
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger_, keys::kTargetPrefix, engine::kMaxMetals * 16);
  if (!records.ok()) return records.status();
  std::vector<TargetView> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<Target> t = DecodeTarget(r.value);
    if (!t.ok()) return t.status();
    absl::StatusOr<TargetView> v = GetTarget(t->metal);
    if (!v.ok()) return v.status();
    out.push_back(*std::move(v));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Decision::TargetMetals() {
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger_, keys::kTargetPrefix, engine::kMaxMetals);
  if (!records.ok()) return records.status();
  std::vector<std::string> out;
  for (const ledger::Record& r : records->records) {
    out.push_back(r.key.substr(keys::kTargetPrefix.size()));
  }
  return out;
}

// ---- Annual ceilings ----

absl::StatusOr<Mutation<CeilingView>> Decision::SetAnnualCeiling(const Context& ctx,
                                                                 const AnnualCeiling& ceiling) {
  if (absl::Status s = CheckMetalCode(ceiling.metal, "ceiling.metal"); !s.ok()) return s;
  if (absl::Status s = CheckYear(ceiling.year, "ceiling.year"); !s.ok()) return s;
  if (ceiling.acquire_ceiling_g < 0 || ceiling.acquire_ceiling_g > engine::kMaxMassG) {
    return InvalidField("ceiling.acquire_ceiling_g", "0..10^14 grams");
  }
  if (ceiling.dispose_ceiling_g < 0 || ceiling.dispose_ceiling_g > engine::kMaxMassG) {
    return InvalidField("ceiling.dispose_ceiling_g", "0..10^14 grams");
  }
  json req = json::parse(EncodeAnnualCeiling(ceiling));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    if (absl::Status s = CheckMetalExists(ceiling.metal); !s.ok()) return s;
    absl::StatusOr<std::optional<Loaded<AnnualCeiling>>> old =
        LoadCeiling(ledger_, ceiling.metal, ceiling.year);
    if (!old.ok()) return old.status();
    AnnualCeiling before{ceiling.metal, ceiling.year, 0, 0};
    uint64_t version = 0;
    if (old->has_value()) {
      before = (*old)->value;
      version = (*old)->version;
    }
    std::string acq = keys::CeilingAccount(ceiling.metal, ceiling.year, Direction::kAcquire);
    std::string dis = keys::CeilingAccount(ceiling.metal, ceiling.year, Direction::kRelease);
    absl::StatusOr<std::map<std::string, int64_t>> left = ReadBalances(ledger_, {acq, dis});
    if (!left.ok()) return left.status();
    int64_t d_acq = ceiling.acquire_ceiling_g - before.acquire_ceiling_g;
    int64_t d_dis = ceiling.dispose_ceiling_g - before.dispose_ceiling_g;
    if ((*left)[acq] + d_acq < 0 || (*left)[dis] + d_dis < 0) {
      return Precondition(why::kCeilingBelowUsed,
                          absl::StrCat("more ", ceiling.metal, " was already ",
                                       (*left)[acq] + d_acq < 0 ? "acquired" : "disposed of",
                                       " in ", ceiling.year, " than the new ceiling allows"));
    }
    TxBuilder b;
    std::string unit = keys::MassUnit(ceiling.metal);
    b.Move(unit, keys::CeilingPlanAccount(ceiling.metal), false, acq, true, d_acq);
    b.Move(unit, keys::CeilingPlanAccount(ceiling.metal), false, dis, true, d_dis);
    Plan plan;
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::CeilingKey(ceiling.metal, ceiling.year),
                                                 version, EncodeAnnualCeiling(ceiling), false});
    plan.response =
        CeilingViewJson(CeilingView{ceiling, (*left)[acq] + d_acq, (*left)[dis] + d_dis});
    return plan;
  };
  return Convert<CeilingView>(Mutate(ledger_, ctx, "decision.set_ceiling", req, planner),
                              CeilingViewFromJson);
}

absl::StatusOr<std::vector<CeilingView>> Decision::ListAnnualCeilings(int32_t year) {
  if (year != 0) {
    if (absl::Status s = CheckYear(year, "year"); !s.ok()) return s;
  }
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger_, keys::kCeilingPrefix, kMaxRecordsScannedPerList);
  if (!records.ok()) return records.status();
  std::vector<CeilingView> out;
  std::vector<std::string> accounts;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<AnnualCeiling> c = DecodeAnnualCeiling(r.value);
    if (!c.ok()) return c.status();
    if (year != 0 && c->year != year) continue;
    accounts.push_back(keys::CeilingAccount(c->metal, c->year, Direction::kAcquire));
    accounts.push_back(keys::CeilingAccount(c->metal, c->year, Direction::kRelease));
    out.push_back(CeilingView{*std::move(c), 0, 0});
  }
  absl::StatusOr<std::map<std::string, int64_t>> left =
      ReadBalances(ledger_, accounts, std::nullopt, {.at_seq = records->as_of_seq});
  if (!left.ok()) return left.status();
  for (CeilingView& v : out) {
    const AnnualCeiling& c = v.ceiling;
    v.acquire_remaining_g = (*left)[keys::CeilingAccount(c.metal, c.year, Direction::kAcquire)];
    v.dispose_remaining_g = (*left)[keys::CeilingAccount(c.metal, c.year, Direction::kRelease)];
  }
  return out;
}

// ---- Budgets ----

absl::StatusOr<BudgetView> Decision::ReadBudget(int32_t year, std::optional<absl::CivilDay> as_of) {
  absl::StatusOr<Loaded<Budget>> budget =
      Load<Budget>(ledger_, keys::BudgetKey(year), why::kUnknownBudget,
                   absl::StrCat("no budget is set for ", year), &DecodeBudget);
  if (!budget.ok()) return budget.status();
  const std::string& cur = budget->value.currency;
  std::string available = keys::BudgetAccount(cur, year);
  std::string appropriation = keys::AppropriationAccount(cur, year);
  std::string spent = keys::BudgetSpentAccount(cur, year);
  absl::StatusOr<std::map<std::string, int64_t>> b =
      ReadBalances(ledger_, {available, appropriation, spent}, as_of);
  if (!b.ok()) return b.status();
  BudgetView v;
  v.year = year;
  v.currency = cur;
  v.appropriated_minor = -(*b)[appropriation];
  v.available_minor = (*b)[available];
  v.spent_minor = (*b)[spent];
  v.committed_minor = v.appropriated_minor - v.available_minor - v.spent_minor;
  return v;
}

absl::StatusOr<Mutation<BudgetView>> Decision::SetBudget(const Context& ctx, const Budget& budget) {
  if (absl::Status s = CheckYear(budget.year, "year"); !s.ok()) return s;
  if (absl::Status s = CheckCurrency(budget.currency, "currency"); !s.ok()) return s;
  if (budget.amount_minor < 0 || budget.amount_minor > engine::kMaxMoneyMinor) {
    return InvalidField("amount_minor", "0..10^17");
  }
  json req = json::parse(EncodeBudget(budget));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::Record> old = ReadRecord(ledger_, keys::BudgetKey(budget.year));
    if (!old.ok()) return old.status();
    BudgetView before{budget.year, budget.currency, 0, 0, 0, 0};
    if (old->version != 0) {
      absl::StatusOr<BudgetView> v = ReadBudget(budget.year, std::nullopt);
      if (!v.ok()) return v.status();
      before = *v;
      if (before.currency != budget.currency) {
        return Precondition(why::kBudgetCurrency,
                            absl::StrCat("the ", budget.year, " budget is in ", before.currency));
      }
    }
    int64_t delta = budget.amount_minor - before.appropriated_minor;
    if (before.available_minor + delta < 0) {
      return Precondition(why::kBudgetBelowCommitted,
                          absl::StrCat("orders have committed or spent ",
                                       before.committed_minor + before.spent_minor, " of the ",
                                       budget.year, " budget; it cannot be ", budget.amount_minor));
    }
    TxBuilder b;
    b.Move(budget.currency, keys::AppropriationAccount(budget.currency, budget.year), false,
           keys::BudgetAccount(budget.currency, budget.year), true, delta);
    Plan plan;
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::BudgetKey(budget.year), old->version,
                                                 EncodeBudget(budget), false});
    BudgetView after = before;
    after.appropriated_minor = budget.amount_minor;
    after.available_minor += delta;
    plan.response = BudgetViewJson(after);
    return plan;
  };
  return Convert<BudgetView>(Mutate(ledger_, ctx, "decision.set_budget", req, planner),
                             BudgetViewFromJson);
}

absl::StatusOr<BudgetView> Decision::GetBudget(int32_t year) {
  if (absl::Status s = CheckYear(year, "year"); !s.ok()) return s;
  return ReadBudget(year, std::nullopt);
}

// ---- Approval policy ----

absl::StatusOr<Mutation<ApprovalPolicy>> Decision::SetApprovalPolicy(const Context& ctx,
                                                                     const ApprovalPolicy& policy) {
  if (policy.two_approver_threshold_minor < 0 ||
      policy.two_approver_threshold_minor > engine::kMaxMoneyMinor) {
    return InvalidField("policy.two_approver_threshold_minor", "0..10^17");
  }
  if (absl::Status s = CheckCurrency(policy.currency, "policy.currency"); !s.ok()) return s;
  json req = json::parse(EncodeApprovalPolicy(policy));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::Record> old = ReadRecord(ledger_, std::string(keys::kPolicyKey));
    if (!old.ok()) return old.status();
    Plan plan;
    plan.tx.writes.push_back(ledger::RecordWrite{std::string(keys::kPolicyKey), old->version,
                                                 EncodeApprovalPolicy(policy), false});
    plan.response = req;
    return plan;
  };
  return Convert<ApprovalPolicy>(Mutate(ledger_, ctx, "decision.set_approval_policy", req, planner),
                                 [](const json& j) { return DecodeApprovalPolicy(j.dump()); });
}

absl::StatusOr<ApprovalPolicy> Decision::GetApprovalPolicy() {
  absl::StatusOr<ledger::Record> r = ReadRecord(ledger_, std::string(keys::kPolicyKey));
  if (!r.ok()) return r.status();
  if (r->version == 0) return options_.default_policy;
  return DecodeApprovalPolicy(r->value);
}

}  // namespace reserve::decision
