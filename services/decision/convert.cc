#include "services/decision/convert.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/decision/engine/backtest.h"
#include "storage/errors.h"

namespace reserve::decision_glue {
namespace {

// The proto and domain enum numberings agree; unknown numbers become unspecified (and the
// domain rejects them where a value is required).
template <typename Domain, typename Proto>
Domain EnumFrom(Proto value, bool (*is_valid)(int)) {
  return is_valid(value) ? static_cast<Domain>(value) : static_cast<Domain>(0);
}

dec::Direction FromProto(v1::OrderDirection d) {
  return EnumFrom<dec::Direction>(d, v1::OrderDirection_IsValid);
}
dec::Funding FromProto(v1::Funding f) { return EnumFrom<dec::Funding>(f, v1::Funding_IsValid); }
dec::ProposalSource FromProto(v1::ProposalSource s) {
  return EnumFrom<dec::ProposalSource>(s, v1::ProposalSource_IsValid);
}

absl::StatusOr<std::optional<absl::CivilMonth>> MonthOf(bool has, const v1::Date& d,
                                                        absl::string_view field) {
  if (!has) return std::optional<absl::CivilMonth>();
  absl::StatusOr<absl::CivilDay> day = FromProtoDate(d, field);
  if (!day.ok()) return day.status();
  return std::optional<absl::CivilMonth>(absl::CivilMonth(*day));
}

std::map<std::string, int64_t> MapOf(const google::protobuf::Map<std::string, int64_t>& m) {
  return std::map<std::string, int64_t>(m.begin(), m.end());
}

void ToProto(const dec::engine::Allocation& a, v1::Allocation* out) {
  out->set_metal(a.metal);
  out->set_depot_id(a.depot);
  out->set_mass_g(a.mass_g);
  out->set_price_minor_per_t(a.price_minor_per_t);
  out->set_cost_minor(a.cost_minor);
}

}  // namespace

dec::MarketSeries FromProto(v1::MarketSeries s) {
  return EnumFrom<dec::MarketSeries>(s, v1::MarketSeries_IsValid);
}
dec::ProposalStatus FromProto(v1::ProposalStatus s) {
  return EnumFrom<dec::ProposalStatus>(s, v1::ProposalStatus_IsValid);
}
dec::OrderStatus FromProto(v1::OrderStatus s) {
  return EnumFrom<dec::OrderStatus>(s, v1::OrderStatus_IsValid);
}

// ---- Market data, targets, budgets ----

absl::StatusOr<dec::MarketPoint> FromProto(const v1::MarketPoint& p, const std::string& field) {
  absl::StatusOr<absl::CivilDay> date = FromProtoDate(p.date(), field + ".date");
  if (!date.ok()) return date.status();
  return dec::MarketPoint{FromProto(p.series()), p.metal(), *date, p.value(), p.source()};
}

void ToProto(const dec::MarketPoint& p, v1::MarketPoint* out) {
  out->set_series(static_cast<v1::MarketSeries>(p.series));
  out->set_metal(p.metal);
  ToProtoDate(p.date, out->mutable_date());
  out->set_value(p.value);
  out->set_source(p.source);
}

dec::Target FromProto(const v1::Target& t) {
  dec::Target out;
  out.metal = t.metal();
  out.cover_target_days = t.cover_target_days();
  out.cover_min_days = t.cover_min_days();
  out.cover_max_days = t.cover_max_days();
  out.weight = t.weight() == 0 ? 1 : t.weight();
  if (t.has_band()) {
    out.band = dec::PriceBand{t.band().floor_minor_per_t(), t.band().ceiling_minor_per_t(),
                              t.band().currency(), t.band().funding_limit_minor()};
  }
  return out;
}

void ToProto(const dec::TargetView& v, v1::TargetResponse* out) {
  v1::Target* t = out->mutable_target();
  t->set_metal(v.target.metal);
  t->set_cover_target_days(v.target.cover_target_days);
  t->set_cover_min_days(v.target.cover_min_days);
  t->set_cover_max_days(v.target.cover_max_days);
  t->set_weight(v.target.weight);
  if (v.target.band.has_value()) {
    v1::PriceBand* b = t->mutable_band();
    b->set_floor_minor_per_t(v.target.band->floor_minor_per_t);
    b->set_ceiling_minor_per_t(v.target.band->ceiling_minor_per_t);
    b->set_currency(v.target.band->currency);
    b->set_funding_limit_minor(v.target.band->funding_limit_minor);
  }
  out->set_band_fund_available_minor(v.band_fund_available_minor);
}

void ToProto(const dec::CeilingView& v, v1::CeilingStatus* out) {
  v1::AnnualCeiling* c = out->mutable_ceiling();
  c->set_metal(v.ceiling.metal);
  c->set_year(v.ceiling.year);
  c->set_acquire_ceiling_g(v.ceiling.acquire_ceiling_g);
  c->set_dispose_ceiling_g(v.ceiling.dispose_ceiling_g);
  out->set_acquire_remaining_g(v.acquire_remaining_g);
  out->set_dispose_remaining_g(v.dispose_remaining_g);
}

void ToProto(const dec::BudgetView& v, v1::BudgetStatus* out) {
  out->set_year(v.year);
  out->set_currency(v.currency);
  out->set_appropriated_minor(v.appropriated_minor);
  out->set_available_minor(v.available_minor);
  out->set_committed_minor(v.committed_minor);
  out->set_spent_minor(v.spent_minor);
}

// ---- Analysis ----

absl::StatusOr<dec::RecommendationQuery> FromProto(const v1::GetRecommendationsRequest& r,
                                                   absl::string_view prefix) {
  dec::RecommendationQuery q;
  absl::StatusOr<absl::CivilDay> date =
      DateOrToday(r.has_date(), r.date(), absl::StrCat(prefix, "date"));
  if (!date.ok()) return date.status();
  q.date = *date;
  q.metals.assign(r.metals().begin(), r.metals().end());
  q.currency = r.currency().empty() ? "CNY" : r.currency();
  return q;
}

void ToProto(const dec::Recommendations& r, v1::GetRecommendationsResponse* out) {
  ToProtoDate(r.date, out->mutable_date());
  out->set_currency(r.currency);
  out->set_budget_remaining_minor(r.budget_remaining_minor);
  for (const dec::LiveRecommendation& live : r.metals) {
    const dec::engine::Recommendation& rec = live.recommendation;
    v1::Recommendation* p = out->add_recommendations();
    p->set_metal(rec.metal);
    p->set_action(static_cast<v1::Action>(rec.action));
    p->set_quantity_g(rec.quantity_g);
    p->set_price_limit_minor_per_t(rec.price_limit_minor_per_t);
    p->set_amount_minor(rec.amount_minor);
    p->set_band_amount_minor(rec.band_amount_minor);
    p->set_held_g(live.held_g);
    p->set_consumption_g_per_year(live.consumption_g_per_year);
    v1::Signals* s = p->mutable_signals();
    s->set_cover_days(rec.signals.cover_days);
    s->set_target_g(rec.signals.target_g);
    s->set_min_g(rec.signals.min_g);
    s->set_max_g(rec.signals.max_g);
    s->set_monthly_consumption_g(rec.signals.monthly_consumption_g);
    ToProtoDate(rec.signals.price_date, s->mutable_price_date());
    s->set_price_minor_per_t(rec.signals.price_minor_per_t);
    if (rec.signals.percentile_bp.has_value()) s->set_percentile_bp(*rec.signals.percentile_bp);
    s->set_window_marks(rec.signals.window_marks);
    if (rec.signals.utilisation_bp.has_value()) s->set_utilisation_bp(*rec.signals.utilisation_bp);
    for (const dec::engine::FiredRule& f : rec.rules) {
      v1::FiredRule* pf = p->add_rules();
      pf->set_rule_id(f.id);
      pf->set_message(f.message);
      for (const dec::engine::Figure& fig : f.figures) {
        v1::Figure* pg = pf->add_figures();
        pg->set_name(fig.name);
        pg->set_value(fig.value);
      }
    }
    p->set_explanation(rec.explanation);
  }
}

absl::StatusOr<dec::OptimiseQuery> FromProto(const v1::OptimiseRequest& r,
                                             absl::string_view prefix) {
  dec::OptimiseQuery q;
  absl::StatusOr<absl::CivilDay> date =
      DateOrToday(r.has_date(), r.date(), absl::StrCat(prefix, "date"));
  if (!date.ok()) return date.status();
  q.date = *date;
  q.year = r.year() == 0 ? static_cast<int32_t>(date->year()) : r.year();
  q.budget_minor = r.budget_minor();
  q.currency = r.currency().empty() ? "CNY" : r.currency();
  q.metals.assign(r.metals().begin(), r.metals().end());
  q.market_impact_cap_bp = r.market_impact_cap_bp();
  q.months = r.months();
  q.handling_minor_per_t = MapOf(r.handling_minor_per_t());
  return q;
}

void ToProto(const dec::Optimisation& o, v1::OptimiseResponse* out) {
  for (const dec::engine::Allocation& a : o.result.allocations) {
    ToProto(a, out->add_allocations());
  }
  for (const dec::engine::MetalOutcome& m : o.result.metals) {
    v1::MetalPlan* p = out->add_metals();
    p->set_metal(m.metal);
    p->set_need_g(m.need_g);
    p->set_cap_g(m.cap_g);
    p->set_bought_g(m.bought_g);
    p->set_shortfall_g(m.shortfall_g);
    p->set_cost_minor(m.cost_minor);
  }
  out->set_budget_minor(o.budget_minor);
  out->set_total_cost_minor(o.result.total_cost_minor);
  out->set_objective(o.result.objective);
  out->set_solver_status(std::string(dec::engine::SolverStatusName(o.result.status)));
  out->set_repair_units_removed(o.result.repair_units_removed);
  out->set_currency(o.currency);
}

absl::StatusOr<dec::BacktestQuery> FromProto(const v1::BacktestRequest& r) {
  dec::BacktestQuery q;
  q.metals.assign(r.metals().begin(), r.metals().end());
  absl::StatusOr<std::optional<absl::CivilMonth>> first =
      MonthOf(r.has_from_date(), r.from_date(), "from_date");
  if (!first.ok()) return first.status();
  absl::StatusOr<std::optional<absl::CivilMonth>> last =
      MonthOf(r.has_to_date(), r.to_date(), "to_date");
  if (!last.ok()) return last.status();
  q.first_month = *first;
  q.last_month = *last;
  q.currency = r.currency().empty() ? "CNY" : r.currency();
  q.consumption_g_per_year = MapOf(r.consumption_g_per_year());
  q.budget_minor_per_year = r.annual_budget_minor();
  for (const v1::Target& t : r.targets()) q.targets.push_back(FromProto(t));
  q.initial_holdings_g = MapOf(r.initial_holdings_g());
  q.acquisition_ceiling_g_per_year = MapOf(r.acquisition_ceiling_g_per_year());
  q.disposal_ceiling_g_per_year = MapOf(r.disposal_ceiling_g_per_year());
  q.release_proceeds_to_budget = r.release_proceeds_to_budget();
  return q;
}

void ToProto(const dec::engine::BacktestResult& r, v1::BacktestResponse* out) {
  for (const dec::engine::BacktestRow& row : r.rows) {
    v1::BacktestRow* p = out->add_rows();
    ToProtoDate(absl::CivilDay(row.month), p->mutable_month());
    p->set_metal(row.metal);
    p->set_price_minor_per_t(row.price_minor_per_t);
    p->set_action(static_cast<v1::Action>(row.action));
    p->set_recommended_g(row.recommended_g);
    p->set_price_limit_minor_per_t(row.price_limit_minor_per_t);
    p->set_filled(row.filled);
    p->set_bought_g(row.bought_g);
    p->set_spend_minor(row.spend_minor);
    p->set_released_g(row.released_g);
    p->set_proceeds_minor(row.proceeds_minor);
    p->set_holdings_g(row.holdings_g);
    p->set_cover_days(row.cover_days);
    p->set_target_g(row.target_g);
    p->set_below_target(row.below_target);
    p->set_budget_remaining_minor(row.budget_remaining_minor);
    p->set_avg_cost_minor_per_t(row.avg_cost_minor_per_t);
    p->set_avg_market_minor_per_t(row.avg_market_minor_per_t);
    p->set_rule_ids(row.rule_ids);
  }
  for (const dec::engine::BacktestTotals& t : r.totals) {
    v1::BacktestTotals* p = out->add_totals();
    p->set_metal(t.metal);
    p->set_months(t.months);
    p->set_initial_holdings_g(t.initial_holdings_g);
    p->set_bought_g(t.bought_g);
    p->set_spend_minor(t.spend_minor);
    p->set_released_g(t.released_g);
    p->set_proceeds_minor(t.proceeds_minor);
    p->set_final_holdings_g(t.final_holdings_g);
    p->set_months_below_target(t.months_below_target);
    p->set_target_g(t.target_g);
    p->set_avg_cost_minor_per_t(t.avg_cost_minor_per_t);
    p->set_avg_market_minor_per_t(t.avg_market_minor_per_t);
    p->set_cost_vs_market_bp(t.cost_vs_market_bp);
    p->set_buys_filled(t.buys_filled);
    p->set_releases_filled(t.releases_filled);
  }
  out->set_months(r.months);
  out->set_spend_minor(r.spend_minor);
  out->set_proceeds_minor(r.proceeds_minor);
  out->set_budget_lapsed_minor(r.budget_lapsed_minor);
  out->set_currency(r.currency);
}

// ---- Proposals and orders ----

absl::StatusOr<dec::ProposalRequest> FromProto(const v1::CreateProposalRequest& r) {
  if (r.has_from_recommendations() && r.has_from_optimiser()) {
    return InvalidField("from_optimiser", "give one source: recommendations or the optimiser");
  }
  dec::ProposalRequest out;
  const v1::Proposal& p = r.proposal();
  dec::Proposal& d = out.proposal;
  d.id = p.proposal_id();
  d.title = p.title();
  d.rationale = p.rationale();
  d.source = FromProto(p.source());
  d.currency = p.currency().empty() ? "CNY" : p.currency();
  absl::StatusOr<absl::CivilDay> from = FromProtoDate(p.valid_from(), "proposal.valid_from");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::CivilDay> to = FromProtoDate(p.valid_to(), "proposal.valid_to");
  if (!to.ok()) return to.status();
  d.valid_from = *from;
  d.valid_to = *to;
  d.funding = FromProto(p.funding());
  for (const v1::ProposalLine& l : p.lines()) {
    dec::ProposalLine line;
    line.direction = FromProto(l.direction());
    line.metal = l.metal();
    line.quantity_g = l.quantity_g();
    line.price_limit_minor_per_t = l.price_limit_minor_per_t();
    line.amount_minor = l.amount_minor();
    d.lines.push_back(std::move(line));
  }
  if (r.has_from_recommendations()) {
    absl::StatusOr<dec::RecommendationQuery> q =
        FromProto(r.from_recommendations(), "from_recommendations.");
    if (!q.ok()) return q.status();
    out.from_recommendations = *std::move(q);
  }
  if (r.has_from_optimiser()) {
    absl::StatusOr<dec::OptimiseQuery> q = FromProto(r.from_optimiser(), "from_optimiser.");
    if (!q.ok()) return q.status();
    out.from_optimiser = *std::move(q);
  }
  return out;
}

void ToProto(const dec::Proposal& p, v1::Proposal* out) {
  out->set_proposal_id(p.id);
  out->set_title(p.title);
  out->set_rationale(p.rationale);
  out->set_source(static_cast<v1::ProposalSource>(p.source));
  out->set_currency(p.currency);
  ToProtoDate(p.valid_from, out->mutable_valid_from());
  ToProtoDate(p.valid_to, out->mutable_valid_to());
  out->set_funding(static_cast<v1::Funding>(p.funding));
  for (const dec::ProposalLine& l : p.lines) {
    v1::ProposalLine* pl = out->add_lines();
    pl->set_direction(static_cast<v1::OrderDirection>(l.direction));
    pl->set_metal(l.metal);
    pl->set_quantity_g(l.quantity_g);
    pl->set_price_limit_minor_per_t(l.price_limit_minor_per_t);
    pl->set_amount_minor(l.amount_minor);
    for (const dec::DepotShare& d : l.depot_plan) {
      ToProto(dec::engine::Allocation{l.metal, d.depot, d.quantity_g, d.price_minor_per_t,
                                      d.amount_minor},
              pl->add_depot_plan());
    }
  }
  out->set_proposer(p.proposer);
  out->set_status(static_cast<v1::ProposalStatus>(p.status));
  out->set_value_minor(p.value_minor);
  out->set_required_approvals(p.required_approvals);
  for (const dec::Approval& a : p.approvals) {
    v1::Approval* pa = out->add_approvals();
    pa->set_approver(a.approver);
    ToProtoDate(a.date, pa->mutable_approved_on());
    pa->set_comment(a.comment);
  }
  out->set_rejected_by(p.rejected_by);
  out->set_rejection_reason(p.rejection_reason);
  for (const std::string& id : p.order_ids) out->add_order_ids(id);
  ToProtoDate(p.created_on, out->mutable_created_on());
}

void ToProto(const dec::OrderView& v, v1::Order* out) {
  const dec::Order& o = v.order;
  out->set_order_id(o.id);
  out->set_proposal_id(o.proposal_id);
  out->set_direction(static_cast<v1::OrderDirection>(o.direction));
  out->set_metal(o.metal);
  out->set_quantity_g(o.quantity_g);
  out->set_price_limit_minor_per_t(o.price_limit_minor_per_t);
  out->set_amount_minor(o.amount_minor);
  out->set_currency(o.currency);
  ToProtoDate(o.valid_from, out->mutable_valid_from());
  ToProtoDate(o.valid_to, out->mutable_valid_to());
  out->set_funding(static_cast<v1::Funding>(o.funding));
  out->set_status(static_cast<v1::OrderStatus>(o.status));
  out->set_remaining_quantity_g(v.remaining_quantity_g);
  out->set_remaining_amount_minor(v.remaining_amount_minor);
  out->set_closed_by(o.closed_by);
}

// ---- Auctions ----

absl::StatusOr<dec::Auction> FromProto(const v1::Auction& a) {
  dec::Auction out;
  out.id = a.auction_id();
  out.title = a.title();
  out.order_id = a.order_id();
  out.currency = a.currency().empty() ? "CNY" : a.currency();
  for (const v1::AuctionLot& l : a.lots()) {
    out.lots.push_back(dec::AuctionLot{l.lot_id(), l.reserve_price_minor_per_t(), "", 0, ""});
  }
  absl::StatusOr<absl::CivilDay> cutoff =
      FromProtoDate(a.eligibility_cutoff(), "auction.eligibility_cutoff");
  if (!cutoff.ok()) return cutoff.status();
  out.eligibility_cutoff = *cutoff;
  out.deposit_minor = a.deposit_minor();
  out.bidder_cap_g = a.bidder_cap_g();
  out.bidding_opens_at_ms = a.bidding_opens_at_ms();
  out.bidding_closes_at_ms = a.bidding_closes_at_ms();
  out.payment_days = a.payment_days();
  out.pickup_days = a.pickup_days();
  return out;
}

void ToProto(const dec::Auction& a, v1::Auction* out) {
  out->set_auction_id(a.id);
  out->set_title(a.title);
  out->set_order_id(a.order_id);
  out->set_currency(a.currency);
  for (const dec::AuctionLot& l : a.lots) {
    v1::AuctionLot* pl = out->add_lots();
    pl->set_lot_id(l.lot_id);
    pl->set_reserve_price_minor_per_t(l.reserve_price_minor_per_t);
    pl->set_metal(l.metal);
    pl->set_mass_g(l.mass_g);
    pl->set_depot_id(l.depot);
  }
  ToProtoDate(a.eligibility_cutoff, out->mutable_eligibility_cutoff());
  out->set_deposit_minor(a.deposit_minor);
  out->set_bidder_cap_g(a.bidder_cap_g);
  out->set_bidding_opens_at_ms(a.bidding_opens_at_ms);
  out->set_bidding_closes_at_ms(a.bidding_closes_at_ms);
  out->set_payment_days(a.payment_days);
  out->set_pickup_days(a.pickup_days);
  out->set_metal(a.metal);
  out->set_status(static_cast<v1::AuctionStatus>(a.status));
  out->set_bidders(a.bidders);
  out->set_cleared_at_ms(a.cleared_at_ms);
  if (a.status == dec::AuctionStatus::kCleared) {
    ToProtoDate(a.payment_due, out->mutable_payment_due());
    ToProtoDate(a.pickup_due, out->mutable_pickup_due());
  }
}

absl::StatusOr<dec::Bidder> FromProto(const v1::Bidder& b) {
  absl::StatusOr<absl::CivilDay> registered =
      FromProtoDate(b.company_registered_on(), "bidder.company_registered_on");
  if (!registered.ok()) return registered.status();
  return dec::Bidder{b.bidder_id(), b.company(),       b.corporate_group_id(), b.manufacturer(),
                     *registered,   b.deposit_minor(), b.accepts_no_resale(),  0};
}

void ToProto(const dec::Bidder& b, v1::Bidder* out) {
  out->set_bidder_id(b.id);
  out->set_company(b.company);
  out->set_corporate_group_id(b.corporate_group);
  out->set_manufacturer(b.manufacturer);
  ToProtoDate(b.company_registered_on, out->mutable_company_registered_on());
  out->set_deposit_minor(b.deposit_minor);
  out->set_accepts_no_resale(b.accepts_no_resale);
  out->set_registered_at_ms(b.registered_at_ms);
}

void ToProto(const dec::Bid& b, v1::Bid* out) {
  out->set_auction_id(b.auction_id);
  out->set_bidder_id(b.bidder_id);
  out->set_lot_id(b.lot_id);
  out->set_price_minor_per_t(b.price_minor_per_t);
  out->set_placed_at_ms(b.placed_at_ms);
  out->set_seq(b.seq);
}

void ToProto(const dec::Settlement& s, const std::vector<std::string>& delivered,
             v1::Settlement* out) {
  out->set_bidder_id(s.bidder_id);
  out->set_company(s.company);
  for (const std::string& id : s.lot_ids) out->add_lot_ids(id);
  out->set_mass_g(s.mass_g);
  out->set_amount_due_minor(s.amount_due_minor);
  out->set_deposit_minor(s.deposit_minor);
  out->set_status(static_cast<v1::SettlementStatus>(s.status));
  ToProtoDate(s.payment_due, out->mutable_payment_due());
  ToProtoDate(s.pickup_due, out->mutable_pickup_due());
  out->set_paid_minor(s.paid_minor);
  out->set_no_resale_commitment(s.no_resale_commitment);
  for (const std::string& id : delivered) out->add_delivered_lot_ids(id);
}

void ToProto(const dec::AuctionResult& r,
             const std::map<std::string, std::vector<std::string>>& delivered,
             v1::AuctionResult* out) {
  out->set_auction_id(r.auction_id);
  for (const dec::Award& w : r.awards) {
    v1::Award* pw = out->add_awards();
    pw->set_lot_id(w.lot_id);
    pw->set_bidder_id(w.bidder_id);
    pw->set_price_minor_per_t(w.price_minor_per_t);
    pw->set_mass_g(w.mass_g);
    pw->set_amount_minor(w.amount_minor);
    pw->set_bid_seq(w.bid_seq);
  }
  for (const std::string& id : r.unsold_lot_ids) out->add_unsold_lot_ids(id);
  static const std::vector<std::string> kNone;
  for (const dec::Settlement& s : r.settlements) {
    auto it = delivered.find(s.bidder_id);
    ToProto(s, it == delivered.end() ? kNone : it->second, out->add_settlements());
  }
  out->set_sold_mass_g(r.sold_mass_g);
  out->set_proceeds_minor(r.proceeds_minor);
  out->set_cleared_seq(r.cleared_seq);
}

}  // namespace reserve::decision_glue
