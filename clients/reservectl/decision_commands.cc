// reservectl commands for the DecisionService (services/decision): market data, targets,
// ceilings, budgets, the approval policy, recommendations, the optimiser, backtests,
// proposals and orders. Release auctions are in auction_commands.cc.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "clients/reservectl/command_kit.h"
#include "clients/reservectl/decimal.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {
namespace {

using kit::Leaf;
using kit::MutationFlags;
using S = v1::DecisionService::Stub;

std::string Upper(const std::string& s) { return absl::AsciiStrToUpper(s); }

// A market value for people: tonnes per year for consumption, basis points otherwise.
std::string MarketValue(const v1::MarketPoint& p) {
  return p.series() == v1::MARKET_SERIES_CONSUMPTION ? absl::StrCat(Tonnes(p.value()), " t/yr")
                                                     : absl::StrCat(p.value(), " bp");
}

const Columns<v1::MarketPoint>& MarketColumns() {
  using P = v1::MarketPoint;
  static const Columns<P> c = {
      {"series", [](const P& p) { return EnumName(v1::MarketSeries_descriptor(), p.series()); }},
      {"metal", [](const P& p) { return p.metal(); }},
      {"date", [](const P& p) { return FormatDate(p.date()); }},
      {"value", MarketValue, Align::kRight},
      {"source", [](const P& p) { return p.source(); }},
  };
  return c;
}

const Columns<v1::TargetResponse>& TargetColumns() {
  using T = v1::TargetResponse;
  static const Columns<T> c = {
      {"metal", [](const T& t) { return t.target().metal(); }},
      {"min_days", [](const T& t) { return absl::StrCat(t.target().cover_min_days()); },
       Align::kRight},
      {"target_days", [](const T& t) { return absl::StrCat(t.target().cover_target_days()); },
       Align::kRight},
      {"max_days", [](const T& t) { return absl::StrCat(t.target().cover_max_days()); },
       Align::kRight},
      {"weight", [](const T& t) { return absl::StrCat(t.target().weight()); }, Align::kRight},
      {"band",
       [](const T& t) {
         if (!t.target().has_band()) return std::string("-");
         const v1::PriceBand& b = t.target().band();
         return absl::StrCat(Money(b.floor_minor_per_t()), "..", Money(b.ceiling_minor_per_t()),
                             " ", b.currency(), "/t");
       }},
      {"band_limit",
       [](const T& t) {
         return t.target().has_band() ? Money(t.target().band().funding_limit_minor()) : "-";
       },
       Align::kRight},
      {"band_available",
       [](const T& t) {
         return t.target().has_band() ? Money(t.band_fund_available_minor()) : "-";
       },
       Align::kRight},
  };
  return c;
}

const Columns<v1::CeilingStatus>& CeilingColumns() {
  using C = v1::CeilingStatus;
  static const Columns<C> c = {
      {"metal", [](const C& x) { return x.ceiling().metal(); }},
      {"year", [](const C& x) { return absl::StrCat(x.ceiling().year()); }},
      {"acquire_t", [](const C& x) { return Tonnes(x.ceiling().acquire_ceiling_g()); },
       Align::kRight},
      {"acquire_left_t", [](const C& x) { return Tonnes(x.acquire_remaining_g()); }, Align::kRight},
      {"dispose_t", [](const C& x) { return Tonnes(x.ceiling().dispose_ceiling_g()); },
       Align::kRight},
      {"dispose_left_t", [](const C& x) { return Tonnes(x.dispose_remaining_g()); }, Align::kRight},
  };
  return c;
}

const Columns<v1::BudgetStatus>& BudgetColumns() {
  using B = v1::BudgetStatus;
  static const Columns<B> c = {
      {"year", [](const B& b) { return absl::StrCat(b.year()); }},
      {"currency", [](const B& b) { return b.currency(); }},
      {"appropriated", [](const B& b) { return Money(b.appropriated_minor()); }, Align::kRight},
      {"available", [](const B& b) { return Money(b.available_minor()); }, Align::kRight},
      {"committed", [](const B& b) { return Money(b.committed_minor()); }, Align::kRight},
      {"spent", [](const B& b) { return Money(b.spent_minor()); }, Align::kRight},
  };
  return c;
}

const Columns<v1::Recommendation>& RecommendationColumns() {
  using R = v1::Recommendation;
  static const Columns<R> c = {
      {"metal", [](const R& r) { return r.metal(); }},
      {"action", [](const R& r) { return EnumName(v1::Action_descriptor(), r.action()); }},
      {"quantity_t", [](const R& r) { return Tonnes(r.quantity_g()); }, Align::kRight},
      {"price_limit", [](const R& r) { return Money(r.price_limit_minor_per_t()); }, Align::kRight},
      {"amount", [](const R& r) { return Money(r.amount_minor()); }, Align::kRight},
      {"held_t", [](const R& r) { return Tonnes(r.held_g()); }, Align::kRight},
      {"cover_days", [](const R& r) { return absl::StrCat(r.signals().cover_days()); },
       Align::kRight},
      {"price", [](const R& r) { return Money(r.signals().price_minor_per_t()); }, Align::kRight},
      {"percentile",
       [](const R& r) {
         return r.signals().has_percentile_bp()
                    ? absl::StrCat(FormatScaled(r.signals().percentile_bp(), 2, 2), "%")
                    : "-";
       },
       Align::kRight},
      {"rules",
       [](const R& r) {
         std::vector<std::string> ids;
         for (const v1::FiredRule& f : r.rules()) ids.push_back(f.rule_id());
         return absl::StrJoin(ids, ",");
       }},
  };
  return c;
}

std::string LineSummary(const v1::ProposalLine& l) {
  std::string s = absl::StrCat(EnumName(v1::OrderDirection_descriptor(), l.direction()), " ",
                               l.metal(), " ", Tonnes(l.quantity_g()), " t at ",
                               l.direction() == v1::ORDER_DIRECTION_ACQUIRE ? "<= " : ">= ",
                               Money(l.price_limit_minor_per_t()), "/t");
  if (l.direction() == v1::ORDER_DIRECTION_ACQUIRE) {
    absl::StrAppend(&s, ", up to ", Money(l.amount_minor()));
  }
  return s;
}

const Columns<v1::Proposal>& ProposalColumns() {
  using P = v1::Proposal;
  static const Columns<P> c = {
      {"proposal_id", [](const P& p) { return p.proposal_id(); }},
      {"title", [](const P& p) { return p.title(); }},
      {"status", [](const P& p) { return EnumName(v1::ProposalStatus_descriptor(), p.status()); }},
      {"source", [](const P& p) { return EnumName(v1::ProposalSource_descriptor(), p.source()); }},
      {"proposer", [](const P& p) { return p.proposer(); }},
      {"value", [](const P& p) { return absl::StrCat(Money(p.value_minor()), " ", p.currency()); },
       Align::kRight},
      {"approvals",
       [](const P& p) {
         std::vector<std::string> who;
         for (const v1::Approval& a : p.approvals()) who.push_back(a.approver());
         return absl::StrCat(p.approvals_size(), "/", p.required_approvals(),
                             who.empty() ? "" : " ", absl::StrJoin(who, ","));
       }},
      {"period",
       [](const P& p) {
         return absl::StrCat(FormatDate(p.valid_from()), "..", FormatDate(p.valid_to()));
       }},
      {"orders", [](const P& p) { return absl::StrJoin(p.order_ids(), ","); }},
  };
  return c;
}

const Columns<v1::Proposal>& ProposalDetailColumns() {
  using P = v1::Proposal;
  static const Columns<P> c = Concat(
      ProposalColumns(),
      {
          {"funding", [](const P& p) { return EnumName(v1::Funding_descriptor(), p.funding()); }},
          {"lines",
           [](const P& p) {
             std::vector<std::string> lines;
             for (const v1::ProposalLine& l : p.lines()) lines.push_back(LineSummary(l));
             return absl::StrJoin(lines, "; ");
           }},
          {"rejected_by", [](const P& p) { return p.rejected_by(); }},
          {"rejection_reason", [](const P& p) { return p.rejection_reason(); }},
          {"rationale", [](const P& p) { return p.rationale(); }},
      });
  return c;
}

const Columns<v1::Order>& OrderColumns() {
  using O = v1::Order;
  static const Columns<O> c = {
      {"order_id", [](const O& o) { return o.order_id(); }},
      {"direction",
       [](const O& o) { return EnumName(v1::OrderDirection_descriptor(), o.direction()); }},
      {"metal", [](const O& o) { return o.metal(); }},
      {"quantity_t", [](const O& o) { return Tonnes(o.quantity_g()); }, Align::kRight},
      {"left_t", [](const O& o) { return Tonnes(o.remaining_quantity_g()); }, Align::kRight},
      {"price_limit", [](const O& o) { return Money(o.price_limit_minor_per_t()); }, Align::kRight},
      {"amount", [](const O& o) { return Money(o.amount_minor()); }, Align::kRight},
      {"amount_left", [](const O& o) { return Money(o.remaining_amount_minor()); }, Align::kRight},
      {"period",
       [](const O& o) {
         return absl::StrCat(FormatDate(o.valid_from()), "..", FormatDate(o.valid_to()));
       }},
      {"status", [](const O& o) { return EnumName(v1::OrderStatus_descriptor(), o.status()); }},
  };
  return c;
}

// ---- market ----

void AddMarket(CLI::App& app, Action* chosen) {
  CLI::App* market = app.add_subcommand(
      "market", "Market data: consumption, capacity utilisation, import dependence");
  market->require_subcommand(1);

  struct AddFlags {
    MutationFlags m;
    std::string series, metal, date, source, tonnes_per_year;
    int64_t value = 0;
  };
  auto af = std::make_shared<AddFlags>();
  CLI::App* add =
      Leaf(market, "add", "Add (or replace) one observation (admin)", chosen, [af](Session& s) {
        v1::AddMarketDataRequest req;
        if (auto st = kit::ApplyMutationFlags(af->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        v1::MarketPoint* p = req.add_points();
        auto series = kit::EnumFlag<v1::MarketSeries>("--series", af->series);
        if (!series.ok()) return s.Usage(series.status().message());
        p->set_series(*series);
        p->set_metal(Upper(af->metal));
        auto date = kit::DateFlag("--date", af->date);
        if (!date.ok()) return s.Usage(date.status().message());
        *p->mutable_date() = *date;
        p->set_value(af->value);
        if (!af->tonnes_per_year.empty()) {
          auto g = kit::TonnesFlag("--tonnes-per-year", af->tonnes_per_year);
          if (!g.ok()) return s.Usage(g.status().message());
          p->set_value(*g);
        }
        p->set_source(af->source);
        auto r = kit::Call(s, &S::AddMarketData, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(MarketColumns(), req.points()),
                       {false, kit::CommitLine(r->commit())});
      });
  kit::AddMutationFlags(add, &af->m, false);
  add->add_option("--series", af->series, EnumChoices(v1::MarketSeries_descriptor()))->required();
  add->add_option("--metal", af->metal, "metal code")->required();
  add->add_option("--date", af->date, "observation date YYYY-MM-DD")->required();
  CLI::Option* t = add->add_option("--tonnes-per-year", af->tonnes_per_year,
                                   "consumption in tonnes per year (exact decimal)");
  add->add_option("--value", af->value, "grams per year (consumption) or basis points")
      ->excludes(t);
  add->add_option("--source", af->source, "where the figure comes from")->required();

  struct ImportFlags {
    MutationFlags m;
    std::string file;
  };
  auto imf = std::make_shared<ImportFlags>();
  CLI::App* import =
      Leaf(market, "import", "Import a CSV: series,metal,date,value,source (admin)", chosen,
           [imf](Session& s) {
             v1::ImportMarketDataRequest req;
             if (auto st = kit::ApplyMutationFlags(imf->m, &req); !st.ok())
               return s.Usage(st.message());
             auto text = kit::ReadInput(imf->file);
             if (!text.ok()) return s.Usage(text.status().message());
             req.set_csv(*text);
             auto r = kit::Call(s, &S::ImportMarketData, req);
             if (!r.ok()) return s.Fail(r.status());
             Columns<v1::AddMarketDataResponse> cols = {
                 {"imported",
                  [](const v1::AddMarketDataResponse& x) { return absl::StrCat(x.count()); }},
             };
             return s.Print(*r, MakeTable(cols, *r), {false, kit::CommitLine(r->commit())});
           });
  kit::AddMutationFlags(import, &imf->m, false);
  import->add_option("--file", imf->file, "CSV file (consumption in t/year, others in bp)")
      ->required();

  struct ListFlags {
    kit::PageFlags page;
    std::string series, metal, from, to;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(market, "list", "List one series of one metal", chosen, [lf](Session& s) {
    v1::ListMarketDataRequest req;
    auto series = kit::EnumFlag<v1::MarketSeries>("--series", lf->series);
    if (!series.ok()) return s.Usage(series.status().message());
    req.set_series(*series);
    req.set_metal(Upper(lf->metal));
    if (!lf->from.empty()) {
      auto d = kit::DateFlag("--from", lf->from);
      if (!d.ok()) return s.Usage(d.status().message());
      *req.mutable_from_date() = *d;
    }
    if (!lf->to.empty()) {
      auto d = kit::DateFlag("--to", lf->to);
      if (!d.ok()) return s.Usage(d.status().message());
      *req.mutable_to_date() = *d;
    }
    auto r = kit::ListPages(s, &S::ListMarketData, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(MarketColumns(), r->points()),
                   {false, kit::MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page);
  list->add_option("--series", lf->series, EnumChoices(v1::MarketSeries_descriptor()))->required();
  list->add_option("--metal", lf->metal, "metal code")->required();
  list->add_option("--from", lf->from, "first date YYYY-MM-DD");
  list->add_option("--to", lf->to, "last date YYYY-MM-DD");

  struct HistoryFlags {
    std::string series, metal, date;
  };
  auto hf = std::make_shared<HistoryFlags>();
  CLI::App* history =
      Leaf(market, "history", "Every value one observation has had, from the journal", chosen,
           [hf](Session& s) {
             v1::GetMarketPointHistoryRequest req;
             auto series = kit::EnumFlag<v1::MarketSeries>("--series", hf->series);
             if (!series.ok()) return s.Usage(series.status().message());
             req.set_series(*series);
             req.set_metal(Upper(hf->metal));
             auto d = kit::DateFlag("--date", hf->date);
             if (!d.ok()) return s.Usage(d.status().message());
             *req.mutable_date() = *d;
             auto r = kit::Call(s, &S::GetMarketPointHistory, req);
             if (!r.ok()) return s.Fail(r.status());
             using V = v1::MarketPointVersion;
             Columns<V> cols = {
                 {"seq", [](const V& v) { return absl::StrCat(v.seq()); }, Align::kRight},
                 {"principal", [](const V& v) { return v.principal(); }},
                 {"value", [](const V& v) { return MarketValue(v.point()); }, Align::kRight},
                 {"source", [](const V& v) { return v.point().source(); }},
             };
             return s.Print(*r, MakeTable(cols, r->versions()));
           });
  history->add_option("--series", hf->series, EnumChoices(v1::MarketSeries_descriptor()))
      ->required();
  history->add_option("--metal", hf->metal, "metal code")->required();
  history->add_option("--date", hf->date, "observation date YYYY-MM-DD")->required();
}

// ---- targets, ceilings, budget, policy ----

void AddTargets(CLI::App& app, Action* chosen) {
  CLI::App* targets =
      app.add_subcommand("targets", "Targets per metal: days of cover, weight, price band");
  targets->require_subcommand(1);
  struct SetFlags {
    MutationFlags m;
    std::string metal, floor, ceiling, limit, currency = "CNY";
    int min = 0, target = 0, max = 0, weight = 0;
  };
  auto sf = std::make_shared<SetFlags>();
  CLI::App* set = Leaf(targets, "set", "Set a metal's target (admin)", chosen, [sf](Session& s) {
    v1::SetTargetRequest req;
    if (auto st = kit::ApplyMutationFlags(sf->m, &req); !st.ok()) return s.Usage(st.message());
    v1::Target* t = req.mutable_target();
    t->set_metal(Upper(sf->metal));
    t->set_cover_min_days(sf->min);
    t->set_cover_target_days(sf->target);
    t->set_cover_max_days(sf->max);
    t->set_weight(sf->weight);
    if (!sf->floor.empty() || !sf->ceiling.empty() || !sf->limit.empty()) {
      auto floor = kit::MoneyFlag("--band-floor-per-t", sf->floor);
      auto ceiling = kit::MoneyFlag("--band-ceiling-per-t", sf->ceiling);
      auto limit = kit::MoneyFlag("--band-funding-limit", sf->limit);
      for (const auto* v : {&floor, &ceiling, &limit}) {
        if (!v->ok()) return s.Usage(v->status().message());
      }
      t->mutable_band()->set_floor_minor_per_t(*floor);
      t->mutable_band()->set_ceiling_minor_per_t(*ceiling);
      t->mutable_band()->set_funding_limit_minor(*limit);
      t->mutable_band()->set_currency(sf->currency);
    }
    auto r = kit::Call(s, &S::SetTarget, req);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(TargetColumns(), *r), {false, kit::CommitLine(r->commit())});
  });
  kit::AddMutationFlags(set, &sf->m, false);
  set->add_option("metal", sf->metal, "metal code")->required();
  set->add_option("--min-days", sf->min, "minimum cover in days of consumption")->required();
  set->add_option("--target-days", sf->target, "target cover in days")->required();
  set->add_option("--max-days", sf->max, "maximum cover in days")->required();
  set->add_option("--weight", sf->weight, "optimiser weight of a shortfall, 1..1000 (default 1)");
  set->add_option("--band-floor-per-t", sf->floor, "price band floor, yuan per tonne");
  set->add_option("--band-ceiling-per-t", sf->ceiling, "price band ceiling, yuan per tonne");
  set->add_option("--band-funding-limit", sf->limit, "hard funding limit of the band, yuan");
  set->add_option("--band-currency", sf->currency, "currency of the band")->capture_default_str();

  auto metal = std::make_shared<std::string>();
  Leaf(targets, "get", "Show a metal's target", chosen,
       [metal](Session& s) {
         v1::GetTargetRequest req;
         req.set_metal(Upper(*metal));
         auto r = kit::Call(s, &S::GetTarget, req);
         if (!r.ok()) return s.Fail(r.status());
         return s.Print(*r, MakeTable(TargetColumns(), *r), {true, ""});
       })
      ->add_option("metal", *metal, "metal code")
      ->required();
  Leaf(targets, "list", "List every target", chosen, [](Session& s) {
    auto r = kit::Call(s, &S::ListTargets, v1::ListTargetsRequest());
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(TargetColumns(), r->targets()));
  });
}

void AddCeilings(CLI::App& app, Action* chosen) {
  CLI::App* ceilings = app.add_subcommand(
      "ceilings", "Annual ceilings per metal on acquisitions and disposals (the annual plan)");
  ceilings->require_subcommand(1);
  struct SetFlags {
    MutationFlags m;
    std::string metal, acquire, dispose;
    int year = 0;
  };
  auto sf = std::make_shared<SetFlags>();
  CLI::App* set =
      Leaf(ceilings, "set", "Set a metal's ceilings for a year (admin)", chosen, [sf](Session& s) {
        v1::SetAnnualCeilingRequest req;
        if (auto st = kit::ApplyMutationFlags(sf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        auto acq = kit::TonnesFlag("--acquire-t", sf->acquire);
        if (!acq.ok()) return s.Usage(acq.status().message());
        auto dis = kit::TonnesFlag("--dispose-t", sf->dispose);
        if (!dis.ok()) return s.Usage(dis.status().message());
        req.mutable_ceiling()->set_metal(Upper(sf->metal));
        req.mutable_ceiling()->set_year(sf->year);
        req.mutable_ceiling()->set_acquire_ceiling_g(*acq);
        req.mutable_ceiling()->set_dispose_ceiling_g(*dis);
        auto r = kit::Call(s, &S::SetAnnualCeiling, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(CeilingColumns(), r->status()),
                       {false, kit::CommitLine(r->commit())});
      });
  kit::AddMutationFlags(set, &sf->m, false);
  set->add_option("metal", sf->metal, "metal code")->required();
  set->add_option("--year", sf->year, "calendar year")->required();
  set->add_option("--acquire-t", sf->acquire, "acquisitions allowed in the year, tonnes")
      ->required();
  set->add_option("--dispose-t", sf->dispose, "disposals allowed in the year, tonnes")->required();
  auto year = std::make_shared<int>(0);
  Leaf(ceilings, "list", "List ceilings and what is left of them", chosen, [year](Session& s) {
    v1::ListAnnualCeilingsRequest req;
    req.set_year(*year);
    auto r = kit::Call(s, &S::ListAnnualCeilings, req);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(CeilingColumns(), r->ceilings()));
  })->add_option("--year", *year, "only this year");
}

void AddBudget(CLI::App& app, Action* chosen) {
  CLI::App* budget = app.add_subcommand("budget", "The purchase budget per year and its execution");
  budget->require_subcommand(1);
  struct SetFlags {
    MutationFlags m;
    std::string amount, currency = "CNY";
    int year = 0;
  };
  auto sf = std::make_shared<SetFlags>();
  CLI::App* set =
      Leaf(budget, "set", "Set a year's purchase budget (admin)", chosen, [sf](Session& s) {
        v1::SetBudgetRequest req;
        if (auto st = kit::ApplyMutationFlags(sf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        auto amount = kit::MoneyFlag("--amount", sf->amount);
        if (!amount.ok()) return s.Usage(amount.status().message());
        req.set_year(sf->year);
        req.set_currency(sf->currency);
        req.set_amount_minor(*amount);
        auto r = kit::Call(s, &S::SetBudget, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(BudgetColumns(), r->budget()),
                       {false, kit::CommitLine(r->commit())});
      });
  kit::AddMutationFlags(set, &sf->m, false);
  set->add_option("--year", sf->year, "calendar year")->required();
  set->add_option("--amount", sf->amount, "the budget in yuan (exact, 2 decimals)")->required();
  set->add_option("--currency", sf->currency, "ISO currency")->capture_default_str();
  auto year = std::make_shared<int>(0);
  Leaf(budget, "get", "Budget execution: appropriated, available, committed, spent", chosen,
       [year](Session& s) {
         v1::GetBudgetRequest req;
         req.set_year(*year);
         auto r = kit::Call(s, &S::GetBudget, req);
         if (!r.ok()) return s.Fail(r.status());
         return s.Print(*r, MakeTable(BudgetColumns(), r->budget()));
       })
      ->add_option("--year", *year, "calendar year")
      ->required();
}

void AddPolicy(CLI::App& app, Action* chosen) {
  CLI::App* policy =
      app.add_subcommand("policy", "The approval policy: when two approvers are needed");
  policy->require_subcommand(1);
  using R = v1::ApprovalPolicyResponse;
  static const Columns<R> cols = {
      {"two_approver_threshold",
       [](const R& r) { return Money(r.policy().two_approver_threshold_minor()); }},
      {"currency", [](const R& r) { return r.policy().currency(); }},
  };
  struct SetFlags {
    MutationFlags m;
    std::string threshold, currency = "CNY";
  };
  auto sf = std::make_shared<SetFlags>();
  CLI::App* set =
      Leaf(policy, "set", "Set the two-approver threshold (admin)", chosen, [sf](Session& s) {
        v1::SetApprovalPolicyRequest req;
        if (auto st = kit::ApplyMutationFlags(sf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        auto t = kit::MoneyFlag("--two-approver-threshold", sf->threshold);
        if (!t.ok()) return s.Usage(t.status().message());
        req.mutable_policy()->set_two_approver_threshold_minor(*t);
        req.mutable_policy()->set_currency(sf->currency);
        auto r = kit::Call(s, &S::SetApprovalPolicy, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(cols, *r), {false, kit::CommitLine(r->commit())});
      });
  kit::AddMutationFlags(set, &sf->m, false);
  set->add_option("--two-approver-threshold", sf->threshold,
                  "proposals worth more than this (yuan) need two approvers")
      ->required();
  set->add_option("--currency", sf->currency, "ISO currency")->capture_default_str();
  Leaf(policy, "get", "Show the approval policy", chosen, [](Session& s) {
    auto r = kit::Call(s, &S::GetApprovalPolicy, v1::GetApprovalPolicyRequest());
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(cols, *r));
  });
}

// ---- recommend, optimise, backtest ----

struct RecommendFlags {
  std::string date, currency;
  std::vector<std::string> metals;
};

absl::StatusOr<v1::GetRecommendationsRequest> RecommendRequest(const RecommendFlags& f) {
  v1::GetRecommendationsRequest req;
  if (!f.date.empty()) {
    auto d = kit::DateFlag("--date", f.date);
    if (!d.ok()) return d.status();
    *req.mutable_date() = *d;
  }
  for (const std::string& m : f.metals) req.add_metals(Upper(m));
  req.set_currency(f.currency);
  return req;
}

struct OptimiseFlags {
  int year = 0;
  std::string date, budget, currency;
  std::vector<std::string> metals, handling;
  int impact_bp = 0;
  int months = 0;
};

absl::StatusOr<v1::OptimiseRequest> OptimiseRequestOf(const OptimiseFlags& f) {
  v1::OptimiseRequest req;
  req.set_year(f.year);
  if (!f.date.empty()) {
    auto d = kit::DateFlag("--date", f.date);
    if (!d.ok()) return d.status();
    *req.mutable_date() = *d;
  }
  if (!f.budget.empty()) {
    auto b = kit::MoneyFlag("--budget", f.budget);
    if (!b.ok()) return b.status();
    req.set_budget_minor(*b);
  }
  req.set_currency(f.currency);
  for (const std::string& m : f.metals) req.add_metals(Upper(m));
  req.set_market_impact_cap_bp(f.impact_bp);
  req.set_months(f.months);
  for (const std::string& h : f.handling) {
    std::pair<std::string, std::string> kv = absl::StrSplit(h, absl::MaxSplits('=', 1));
    auto v = kit::MoneyFlag("--handling", kv.second);
    if (kv.first.empty() || !v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--handling wants DEPOT=YUAN, got '", h, "'"));
    }
    (*req.mutable_handling_minor_per_t())[kv.first] = *v;
  }
  return req;
}

void AddOptimiseFlags(CLI::App* cmd, OptimiseFlags* f, const std::string& prefix) {
  cmd->add_option("--" + prefix + "year", f->year, "budget and ceiling year (default: the date's)");
  cmd->add_option("--" + prefix + "date", f->date, "holdings and prices as of YYYY-MM-DD");
  cmd->add_option("--" + prefix + "budget", f->budget, "yuan to spend (default: what is left)");
  cmd->add_option("--" + prefix + "currency", f->currency, "currency (default CNY)");
  cmd->add_option("--" + prefix + "metal", f->metals, "only these metals (repeatable)");
  cmd->add_option("--" + prefix + "impact-bp", f->impact_bp,
                  "max share of monthly consumption bought per month, bp (default 2000)");
  cmd->add_option("--" + prefix + "months", f->months, "purchase horizon in months (default 12)");
  cmd->add_option("--" + prefix + "handling", f->handling,
                  "DEPOT=YUAN per tonne of storage and handling (repeatable)");
}

std::string Explanations(const v1::GetRecommendationsResponse& r) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("budget left: ", Money(r.budget_remaining_minor()), " ",
                               r.currency(), " on ", FormatDate(r.date())));
  for (const v1::Recommendation& rec : r.recommendations()) lines.push_back(rec.explanation());
  return absl::StrJoin(lines, "\n");
}

void AddAnalysis(CLI::App& app, Action* chosen) {
  auto rf = std::make_shared<RecommendFlags>();
  CLI::App* recommend =
      Leaf(&app, "recommend", "Buy, hold or release per metal, with the rules that fired", chosen,
           [rf](Session& s) {
             auto req = RecommendRequest(*rf);
             if (!req.ok()) return s.Usage(req.status().message());
             auto r = kit::Call(s, &S::GetRecommendations, *req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(RecommendationColumns(), r->recommendations()),
                            {false, Explanations(*r)});
           });
  recommend->add_option("--date", rf->date, "as of YYYY-MM-DD (default today)");
  recommend->add_option("--metal", rf->metals, "only these metals (repeatable)");
  recommend->add_option("--currency", rf->currency, "price currency (default CNY)");

  auto of = std::make_shared<OptimiseFlags>();
  CLI::App* optimise = Leaf(
      &app, "optimise", "Allocate purchases across metals and depots within a budget (GLPK)",
      chosen, [of](Session& s) {
        auto req = OptimiseRequestOf(*of);
        if (!req.ok()) return s.Usage(req.status().message());
        auto r = kit::Call(s, &S::Optimise, *req);
        if (!r.ok()) return s.Fail(r.status());
        using A = v1::Allocation;
        Columns<A> cols = {
            {"metal", [](const A& a) { return a.metal(); }},
            {"depot", [](const A& a) { return a.depot_id(); }},
            {"mass_t", [](const A& a) { return Tonnes(a.mass_g()); }, Align::kRight},
            {"price_per_t", [](const A& a) { return Money(a.price_minor_per_t()); }, Align::kRight},
            {"cost", [](const A& a) { return Money(a.cost_minor()); }, Align::kRight},
        };
        std::vector<std::string> lines;
        for (const v1::MetalPlan& m : r->metals()) {
          lines.push_back(absl::StrCat(m.metal(), ": need ", Tonnes(m.need_g()), " t, may buy ",
                                       Tonnes(m.cap_g()), " t, buys ", Tonnes(m.bought_g()),
                                       " t for ", Money(m.cost_minor()), "; shortfall ",
                                       Tonnes(m.shortfall_g()), " t"));
        }
        lines.push_back(absl::StrCat(r->solver_status(), ": spends ", Money(r->total_cost_minor()),
                                     " of ", Money(r->budget_minor()), " ", r->currency()));
        return s.Print(*r, MakeTable(cols, r->allocations()), {false, absl::StrJoin(lines, "\n")});
      });
  AddOptimiseFlags(optimise, of.get(), "");

  struct BacktestFlags {
    std::vector<std::string> metals, consumption, targets, initial, acquire, dispose;
    std::string from, to, currency, budget, csv, totals_csv, svg;
    bool proceeds_to_budget = false;
  };
  auto bf = std::make_shared<BacktestFlags>();
  CLI::App* backtest = Leaf(
      &app, "backtest",
      "Run the live rules month by month over the price history; write CSV and SVG", chosen,
      [bf](Session& s) {
        v1::BacktestRequest req;
        for (const std::string& m : bf->metals) req.add_metals(Upper(m));
        // Months as YYYY-MM (a full date is accepted too).
        auto month = [](const char* flag, const std::string& text) {
          return kit::DateFlag(flag, text.size() == 7 ? absl::StrCat(text, "-01") : text);
        };
        if (!bf->from.empty()) {
          auto d = month("--from", bf->from);
          if (!d.ok()) return s.Usage(d.status().message());
          *req.mutable_from_date() = *d;
        }
        if (!bf->to.empty()) {
          auto d = month("--to", bf->to);
          if (!d.ok()) return s.Usage(d.status().message());
          *req.mutable_to_date() = *d;
        }
        req.set_currency(bf->currency);
        if (!bf->budget.empty()) {
          auto b = kit::MoneyFlag("--annual-budget", bf->budget);
          if (!b.ok()) return s.Usage(b.status().message());
          req.set_annual_budget_minor(*b);
        }
        struct MassMap {
          const char* flag;
          const std::vector<std::string>* specs;
          google::protobuf::Map<std::string, int64_t>* out;
        };
        for (const MassMap& mm :
             {MassMap{"--consumption", &bf->consumption, req.mutable_consumption_g_per_year()},
              MassMap{"--initial", &bf->initial, req.mutable_initial_holdings_g()},
              MassMap{"--acquire-ceiling", &bf->acquire,
                      req.mutable_acquisition_ceiling_g_per_year()},
              MassMap{"--dispose-ceiling", &bf->dispose,
                      req.mutable_disposal_ceiling_g_per_year()}}) {
          for (const std::string& spec : *mm.specs) {
            auto kv = kit::KeyValueFlag(mm.flag, spec);
            if (!kv.ok()) return s.Usage(kv.status().message());
            auto g = kit::TonnesFlag(mm.flag, kv->second);
            if (!g.ok()) return s.Usage(g.status().message());
            (*mm.out)[kv->first] = *g;
          }
        }
        for (const std::string& spec : bf->targets) {
          auto kv = kit::KeyValueFlag("--target", spec);
          if (!kv.ok()) return s.Usage(kv.status().message());
          std::vector<std::string> days = absl::StrSplit(kv->second, ':');
          int min = 0, target = 0, max = 0;
          if (days.size() != 3 || !absl::SimpleAtoi(days[0], &min) ||
              !absl::SimpleAtoi(days[1], &target) || !absl::SimpleAtoi(days[2], &max)) {
            return s.Usage(
                absl::StrCat("--target wants METAL=MIN:TARGET:MAX days, got '", spec, "'"));
          }
          v1::Target* t = req.add_targets();
          t->set_metal(kv->first);
          t->set_cover_min_days(min);
          t->set_cover_target_days(target);
          t->set_cover_max_days(max);
        }
        req.set_release_proceeds_to_budget(bf->proceeds_to_budget);
        req.set_include_csv(!bf->csv.empty() || !bf->totals_csv.empty());
        req.set_include_svg(!bf->svg.empty());
        auto r = kit::Call(s, &S::RunBacktest, req);
        if (!r.ok()) return s.Fail(r.status());
        std::vector<std::string> written;
        for (auto [path, text] :
             {std::pair{&bf->csv, &r->rows_csv()}, std::pair{&bf->totals_csv, &r->totals_csv()},
              std::pair{&bf->svg, &r->chart_svg()}}) {
          if (path->empty()) continue;
          if (absl::Status st = kit::WriteOutput(*path, *text); !st.ok()) return s.Fail(st);
          written.push_back(absl::StrCat("wrote ", *path));
        }
        using T = v1::BacktestTotals;
        Columns<T> cols = {
            {"metal", [](const T& t) { return t.metal(); }},
            {"months", [](const T& t) { return absl::StrCat(t.months()); }, Align::kRight},
            {"bought_t", [](const T& t) { return Tonnes(t.bought_g()); }, Align::kRight},
            {"released_t", [](const T& t) { return Tonnes(t.released_g()); }, Align::kRight},
            {"final_t", [](const T& t) { return Tonnes(t.final_holdings_g()); }, Align::kRight},
            {"spend", [](const T& t) { return Money(t.spend_minor()); }, Align::kRight},
            {"avg_cost_per_t", [](const T& t) { return Money(t.avg_cost_minor_per_t()); },
             Align::kRight},
            {"avg_market_per_t", [](const T& t) { return Money(t.avg_market_minor_per_t()); },
             Align::kRight},
            {"cost_vs_market",
             [](const T& t) {
               return absl::StrCat(FormatScaled(t.cost_vs_market_bp(), 2, 2), "%");
             },
             Align::kRight},
            {"months_below_target",
             [](const T& t) { return absl::StrCat(t.months_below_target()); }, Align::kRight},
        };
        written.insert(written.begin(),
                       absl::StrCat(r->months(), " months; spend ", Money(r->spend_minor()),
                                    ", proceeds ", Money(r->proceeds_minor()), ", lapsed ",
                                    Money(r->budget_lapsed_minor()), " ", r->currency()));
        return s.Print(*r, MakeTable(cols, r->totals()), {false, absl::StrJoin(written, "\n")});
      });
  backtest->add_option("--metal", bf->metals, "metals (repeatable; default: those with targets)");
  backtest->add_option("--from", bf->from, "first month YYYY-MM (default: the first with prices)");
  backtest->add_option("--to", bf->to, "last month YYYY-MM (default: the last with prices)");
  backtest->add_option("--currency", bf->currency, "price currency (default CNY)");
  backtest->add_option("--consumption", bf->consumption,
                       "METAL=TONNES per year (repeatable; default: latest market data)");
  backtest->add_option("--annual-budget", bf->budget, "yuan per year (unspent money lapses)");
  backtest->add_option("--target", bf->targets,
                       "METAL=MIN:TARGET:MAX days of cover (repeatable; default: stored)");
  backtest->add_option("--initial", bf->initial, "METAL=TONNES held at the start (repeatable)");
  backtest->add_option("--acquire-ceiling", bf->acquire, "METAL=TONNES per year (repeatable)");
  backtest->add_option("--dispose-ceiling", bf->dispose, "METAL=TONNES per year (repeatable)");
  backtest->add_flag("--proceeds-to-budget", bf->proceeds_to_budget,
                     "release proceeds fund purchases");
  backtest->add_option("--csv", bf->csv, "write the monthly rows to this CSV file");
  backtest->add_option("--totals-csv", bf->totals_csv, "write the per-metal totals as CSV");
  backtest->add_option("--svg", bf->svg, "write the chart (SVG) to this file");
}

// ---- proposals and orders ----

// acquire:METAL:TONNES:MAX_YUAN_PER_T:AMOUNT_YUAN or release:METAL:TONNES:MIN_YUAN_PER_T.
absl::StatusOr<v1::ProposalLine> ParseLine(const std::string& spec) {
  std::vector<std::string> p = absl::StrSplit(spec, ':');
  auto bad = [&spec]() {
    return absl::InvalidArgumentError(
        absl::StrCat("--line wants acquire:METAL:TONNES:MAX_PRICE_PER_T:AMOUNT or "
                     "release:METAL:TONNES:MIN_PRICE_PER_T (yuan), got '",
                     spec, "'"));
  };
  if (p.size() < 4) return bad();
  v1::ProposalLine l;
  absl::StatusOr<int> dir = ParseEnum(v1::OrderDirection_descriptor(), p[0]);
  if (!dir.ok()) return bad();
  l.set_direction(static_cast<v1::OrderDirection>(*dir));
  l.set_metal(Upper(p[1]));
  auto g = TonnesToGrams(p[2]);
  auto price = ParseScaled(p[3], 2);
  if (!g.ok() || !price.ok()) return bad();
  l.set_quantity_g(*g);
  l.set_price_limit_minor_per_t(*price);
  if (l.direction() == v1::ORDER_DIRECTION_ACQUIRE) {
    if (p.size() != 5) return bad();
    auto amount = ParseScaled(p[4], 2);
    if (!amount.ok()) return bad();
    l.set_amount_minor(*amount);
  } else if (p.size() != 4) {
    return bad();
  }
  return l;
}

void AddProposals(CLI::App& app, Action* chosen) {
  CLI::App* proposals =
      app.add_subcommand("proposals", "Proposals to buy or release, and their approval");
  proposals->require_subcommand(1);

  struct CreateFlags {
    MutationFlags m;
    std::string id, title, rationale, from, to, currency = "CNY", funding = "budget";
    std::vector<std::string> lines;
    std::string from_recommendations;  // a date
    bool from_optimiser = false;
    OptimiseFlags optimise;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create =
      Leaf(proposals, "create",
           "Propose by hand (--line), from the recommendations or from the optimiser (admin)",
           chosen, [cf](Session& s) {
             v1::CreateProposalRequest req;
             if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok())
               return s.Usage(st.message());
             v1::Proposal* p = req.mutable_proposal();
             p->set_proposal_id(cf->id);
             p->set_title(cf->title);
             p->set_rationale(cf->rationale);
             p->set_currency(cf->currency);
             auto from = kit::DateFlag("--from", cf->from);
             if (!from.ok()) return s.Usage(from.status().message());
             auto to = kit::DateFlag("--to", cf->to);
             if (!to.ok()) return s.Usage(to.status().message());
             *p->mutable_valid_from() = *from;
             *p->mutable_valid_to() = *to;
             auto funding = kit::EnumFlag<v1::Funding>("--funding", cf->funding);
             if (!funding.ok()) return s.Usage(funding.status().message());
             p->set_funding(*funding);
             for (const std::string& spec : cf->lines) {
               auto l = ParseLine(spec);
               if (!l.ok()) return s.Usage(l.status().message());
               *p->add_lines() = *l;
             }
             if (!cf->from_recommendations.empty()) {
               auto d = kit::DateFlag("--from-recommendations", cf->from_recommendations);
               if (!d.ok()) return s.Usage(d.status().message());
               *req.mutable_from_recommendations()->mutable_date() = *d;
               req.mutable_from_recommendations()->set_currency(cf->currency);
             }
             if (cf->from_optimiser) {
               auto o = OptimiseRequestOf(cf->optimise);
               if (!o.ok()) return s.Usage(o.status().message());
               *req.mutable_from_optimiser() = *o;
             }
             auto r = kit::Call(s, &S::CreateProposal, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(ProposalDetailColumns(), r->proposal()),
                            {true, kit::CommitLine(r->commit())});
           });
  kit::AddMutationFlags(create, &cf->m, true);
  create->add_option("--id", cf->id, "proposal id (default: the request id)");
  create->add_option("--title", cf->title, "one line for people")->required();
  create->add_option("--rationale", cf->rationale, "why (default: the computed explanation)");
  create->add_option("--from", cf->from, "first day the orders may execute, YYYY-MM-DD")
      ->required();
  create->add_option("--to", cf->to, "last day (same calendar year), YYYY-MM-DD")->required();
  create->add_option("--currency", cf->currency, "currency")->capture_default_str();
  create->add_option("--funding", cf->funding, EnumChoices(v1::Funding_descriptor()))
      ->capture_default_str();
  CLI::Option* line = create->add_option(
      "--line", cf->lines,
      "acquire:METAL:TONNES:MAX_PRICE_PER_T:AMOUNT or release:METAL:TONNES:MIN_PRICE_PER_T "
      "(yuan; repeatable)");
  CLI::Option* recs =
      create->add_option("--from-recommendations", cf->from_recommendations,
                         "compute the lines from the recommendations of this date (YYYY-MM-DD)");
  CLI::Option* opt = create->add_flag("--from-optimiser", cf->from_optimiser,
                                      "compute the lines with the optimiser (--opt-* flags)");
  line->excludes(recs)->excludes(opt);
  recs->excludes(opt);
  AddOptimiseFlags(create, &cf->optimise, "opt-");

  struct DecideFlags {
    MutationFlags m;
    std::string id, text;
  };
  auto af = std::make_shared<DecideFlags>();
  CLI::App* approve = Leaf(proposals, "approve",
                           "Approve a proposal (approver; never your own); the last approval "
                           "needed creates the orders",
                           chosen, [af](Session& s) {
                             v1::ApproveProposalRequest req;
                             if (auto st = kit::ApplyMutationFlags(af->m, &req); !st.ok()) {
                               return s.Usage(st.message());
                             }
                             req.set_proposal_id(af->id);
                             req.set_comment(af->text);
                             auto r = kit::Call(s, &S::ApproveProposal, req);
                             if (!r.ok()) return s.Fail(r.status());
                             return s.Print(*r, MakeTable(ProposalColumns(), r->proposal()),
                                            {true, kit::CommitLine(r->commit())});
                           });
  kit::AddMutationFlags(approve, &af->m, true);
  approve->add_option("proposal_id", af->id, "proposal id")->required();
  approve->add_option("--comment", af->text, "a note kept with the approval");

  auto rf = std::make_shared<DecideFlags>();
  CLI::App* reject =
      Leaf(proposals, "reject", "Reject a pending proposal (approver)", chosen, [rf](Session& s) {
        v1::RejectProposalRequest req;
        if (auto st = kit::ApplyMutationFlags(rf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_proposal_id(rf->id);
        req.set_reason(rf->text);
        auto r = kit::Call(s, &S::RejectProposal, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(ProposalColumns(), r->proposal()),
                       {true, kit::CommitLine(r->commit())});
      });
  kit::AddMutationFlags(reject, &rf->m, true);
  reject->add_option("proposal_id", rf->id, "proposal id")->required();
  reject->add_option("--reason", rf->text, "why")->required();

  kit::ShowLeaf(proposals, "get", "Show a proposal", chosen, &S::GetProposal,
                &v1::GetProposalRequest::mutable_proposal_id, "proposal_id", "proposal id",
                ProposalDetailColumns());

  struct ListFlags {
    kit::PageFlags page;
    std::string status;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(proposals, "list", "List proposals", chosen, [lf](Session& s) {
    v1::ListProposalsRequest req;
    if (!lf->status.empty()) {
      auto st = kit::EnumFlag<v1::ProposalStatus>("--status", lf->status);
      if (!st.ok()) return s.Usage(st.status().message());
      req.set_status(*st);
    }
    auto r = kit::ListPages(s, &S::ListProposals, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(ProposalColumns(), r->proposals()),
                   {false, kit::MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page);
  list->add_option("--status", lf->status, EnumChoices(v1::ProposalStatus_descriptor()));
}

void AddOrders(CLI::App& app, Action* chosen) {
  CLI::App* orders =
      app.add_subcommand("orders", "Approved orders and what they may still buy or release");
  orders->require_subcommand(1);
  kit::ShowLeaf(orders, "get", "Show an order with its remaining quantity and money", chosen,
                &S::GetOrder, &v1::GetOrderRequest::mutable_order_id, "order_id", "order id",
                OrderColumns());

  struct ListFlags {
    kit::PageFlags page;
    std::string status;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(orders, "list", "List orders", chosen, [lf](Session& s) {
    v1::ListOrdersRequest req;
    if (!lf->status.empty()) {
      auto st = kit::EnumFlag<v1::OrderStatus>("--status", lf->status);
      if (!st.ok()) return s.Usage(st.status().message());
      req.set_status(*st);
    }
    auto r = kit::ListPages(s, &S::ListOrders, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(OrderColumns(), r->orders()),
                   {false, kit::MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page);
  list->add_option("--status", lf->status, EnumChoices(v1::OrderStatus_descriptor()));

  struct CloseFlags {
    MutationFlags m;
    std::string id;
  };
  auto cf = std::make_shared<CloseFlags>();
  CLI::App* close = Leaf(orders, "close", "Close an order; unused money returns (admin)", chosen,
                         [cf](Session& s) {
                           v1::CloseOrderRequest req;
                           if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok()) {
                             return s.Usage(st.message());
                           }
                           req.set_order_id(cf->id);
                           auto r = kit::Call(s, &S::CloseOrder, req);
                           if (!r.ok()) return s.Fail(r.status());
                           return s.Print(*r, MakeTable(OrderColumns(), r->order()),
                                          {true, kit::CommitLine(r->commit())});
                         });
  kit::AddMutationFlags(close, &cf->m, true);
  close->add_option("order_id", cf->id, "order id")->required();
}

}  // namespace

void AddDecisionCommands(CLI::App& app, Action* chosen) {
  AddMarket(app, chosen);
  AddTargets(app, chosen);
  AddCeilings(app, chosen);
  AddBudget(app, chosen);
  AddPolicy(app, chosen);
  AddAnalysis(app, chosen);
  AddProposals(app, chosen);
  AddOrders(app, chosen);
}

}  // namespace reserve::ctl
