// Decision: proposals, approvals and orders.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/decision/decision.h"
#include "services/decision/keys.h"
#include "services/domain/dates.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision {
namespace {

namespace why = decision_reason;

absl::StatusOr<Loaded<Proposal>> LoadProposal(ledger::Ledger& ledger, absl::string_view id) {
  return Load<Proposal>(ledger, keys::ProposalKey(id), why::kUnknownProposal,
                        absl::StrCat("no proposal ", id), &DecodeProposal);
}

absl::Status CheckLine(const ProposalLine& l, const std::string& f) {
  if (l.direction == Direction::kUnspecified) return InvalidField(f + ".direction", "required");
  if (absl::Status s = CheckMetalCode(l.metal, f + ".metal"); !s.ok()) return s;
  if (l.quantity_g <= 0 || l.quantity_g > engine::kMaxMassG) {
    return InvalidField(f + ".quantity_g", "1..10^14 grams");
  }
  if (l.price_limit_minor_per_t <= 0 || l.price_limit_minor_per_t > engine::kMaxPriceMinorPerT) {
    return InvalidField(f + ".price_limit_minor_per_t", "must be positive");
  }
  if (l.direction == Direction::kAcquire) {
    if (l.amount_minor <= 0 || l.amount_minor > engine::kMaxMoneyMinor) {
      return InvalidField(f + ".amount_minor", "an acquisition needs a positive amount");
    }
  } else if (l.amount_minor != 0) {
    return InvalidField(f + ".amount_minor", "must be 0 for a release");
  }
  return absl::OkStatus();
}

// A rationale is paragraphs (the server writes one line per metal): lines of clean text
// joined by line breaks, at most kMaxLongTextChars in all.
absl::Status CheckRationale(absl::string_view text, absl::string_view field) {
  if (text.size() > kMaxLongTextChars) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxLongTextChars, " bytes"));
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::Status s = CheckText(line, field, false, kMaxLongTextChars); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Everything about a proposal that does not depend on ledger state, except its lines when
// the server computes them.
absl::Status CheckProposalHeader(const Proposal& p) {
  if (absl::Status s = CheckId(p.id, "proposal.proposal_id"); !s.ok()) return s;
  if (p.id.size() > kMaxProposalIdChars) {
    return InvalidField("proposal.proposal_id",
                        absl::StrCat("longer than ", kMaxProposalIdChars, " characters"));
  }
  if (absl::Status s = CheckText(p.title, "proposal.title", true); !s.ok()) return s;
  if (absl::Status s = CheckRationale(p.rationale, "proposal.rationale"); !s.ok()) return s;
  if (p.source == ProposalSource::kUnspecified) return InvalidField("proposal.source", "required");
  if (absl::Status s = CheckCurrency(p.currency, "proposal.currency"); !s.ok()) return s;
  if (absl::Status s = CheckDate(p.valid_from, "proposal.valid_from"); !s.ok()) return s;
  if (absl::Status s = CheckDate(p.valid_to, "proposal.valid_to"); !s.ok()) return s;
  if (p.valid_to < p.valid_from) {
    return InvalidField("proposal.valid_to", "must not be before valid_from");
  }
  if (p.valid_to.year() != p.valid_from.year()) {
    return InvalidField("proposal.valid_to",
                        "the period must lie in one calendar year (budgets and ceilings are "
                        "annual)");
  }
  return absl::OkStatus();
}

absl::Status CheckLines(const Proposal& p) {
  if (p.lines.empty()) return InvalidField("proposal.lines", "at least one line");
  if (p.lines.size() > kMaxLinesPerProposal) {
    return InvalidField("proposal.lines", absl::StrCat("at most ", kMaxLinesPerProposal));
  }
  bool acquires = false;
  for (size_t i = 0; i < p.lines.size(); ++i) {
    if (absl::Status s = CheckLine(p.lines[i], absl::StrCat("proposal.lines[", i, "]")); !s.ok()) {
      return s;
    }
    acquires = acquires || p.lines[i].direction == Direction::kAcquire;
  }
  if (acquires && p.funding == Funding::kUnspecified) {
    return InvalidField("proposal.funding", "required for acquisitions");
  }
  return absl::OkStatus();
}

// Acquisitions count at their amount, releases at quantity times the floor price.
absl::StatusOr<int64_t> ProposalValue(const std::vector<ProposalLine>& lines) {
  int64_t total = 0;
  for (const ProposalLine& l : lines) {
    std::optional<int64_t> v = l.direction == Direction::kAcquire
                                   ? std::optional<int64_t>(l.amount_minor)
                                   : ValueOfMass(l.quantity_g, l.price_limit_minor_per_t);
    std::optional<int64_t> sum = v.has_value() ? CheckedAdd(total, *v) : std::nullopt;
    if (!sum.has_value()) return InvalidField("proposal.lines", "the total value overflows");
    total = *sum;
  }
  return total;
}

json ProposalJson(const Proposal& p) { return json::parse(EncodeProposal(p)); }
absl::StatusOr<Proposal> ProposalFromJson(const json& j) { return DecodeProposal(j.dump()); }

json OrderViewJson(const OrderView& v) {
  return {{"order", json::parse(EncodeOrder(v.order))},
          {"version", v.version},
          {"remaining_quantity_g", v.remaining_quantity_g},
          {"remaining_amount_minor", v.remaining_amount_minor}};
}

absl::StatusOr<OrderView> OrderViewFromJson(const json& j) {
  absl::StatusOr<Order> o = DecodeOrder(j.at("order").dump());
  if (!o.ok()) return o.status();
  return OrderView{*std::move(o), j.at("version").get<uint64_t>(),
                   j.at("remaining_quantity_g").get<int64_t>(),
                   j.at("remaining_amount_minor").get<int64_t>()};
}

std::string Tonnes(int64_t g) {
  return absl::StrCat(g / kGramsPerTonne, ".",
                      absl::StrFormat("%06d", static_cast<int>(g % kGramsPerTonne)));
}

}  // namespace

// ---- Proposals ----

absl::StatusOr<std::vector<ProposalLine>> Decision::ComputeLines(const ProposalRequest& request,
                                                                 std::string& rationale) {
  std::vector<ProposalLine> lines;
  std::vector<std::string> explanations;
  if (request.from_recommendations.has_value()) {
    absl::StatusOr<Recommendations> recs = Recommend(*request.from_recommendations);
    if (!recs.ok()) return recs.status();
    for (const LiveRecommendation& live : recs->metals) {
      const engine::Recommendation& r = live.recommendation;
      explanations.push_back(r.explanation);
      if (r.action != engine::Action::kBuy && r.action != engine::Action::kRelease) continue;
      ProposalLine l;
      l.direction = r.action == engine::Action::kBuy ? Direction::kAcquire : Direction::kRelease;
      l.metal = r.metal;
      l.quantity_g = r.quantity_g;
      l.price_limit_minor_per_t = r.price_limit_minor_per_t;
      l.amount_minor = l.direction == Direction::kAcquire ? r.amount_minor : 0;
      lines.push_back(std::move(l));
    }
  } else if (request.from_optimiser.has_value()) {
    absl::StatusOr<Optimisation> plan = Optimise(*request.from_optimiser);
    if (!plan.ok()) return plan.status();
    std::map<std::string, ProposalLine> by_metal;
    for (const engine::Allocation& a : plan->result.allocations) {
      ProposalLine& l = by_metal[a.metal];
      l.direction = Direction::kAcquire;
      l.metal = a.metal;
      l.quantity_g += a.mass_g;
      l.amount_minor += a.cost_minor;
      l.price_limit_minor_per_t = std::max(l.price_limit_minor_per_t, a.price_minor_per_t);
      l.depot_plan.push_back(DepotShare{a.depot, a.mass_g, a.cost_minor, a.price_minor_per_t});
    }
    for (const engine::MetalOutcome& m : plan->result.metals) {
      explanations.push_back(absl::StrCat(m.metal, ": need ", Tonnes(m.need_g), " t, buy ",
                                          Tonnes(m.bought_g), " t for ", m.cost_minor,
                                          " minor; shortfall after ", Tonnes(m.shortfall_g), " t"));
      auto it = by_metal.find(m.metal);
      if (it != by_metal.end()) lines.push_back(std::move(it->second));
    }
    explanations.push_back(absl::StrCat("optimiser ", engine::SolverStatusName(plan->result.status),
                                        ", weighted shortfall ", plan->result.objective, ", spend ",
                                        plan->result.total_cost_minor, " of ", plan->budget_minor));
  } else {
    return request.proposal.lines;
  }
  if (lines.empty()) {
    return Precondition(why::kNothingToPropose, absl::StrCat("nothing to buy or release: ",
                                                             absl::StrJoin(explanations, " ")));
  }
  if (rationale.empty()) {
    rationale = absl::StrJoin(explanations, "\n");
    if (rationale.size() > kMaxLongTextChars) rationale.resize(kMaxLongTextChars);
  }
  return lines;
}

absl::StatusOr<Mutation<Proposal>> Decision::CreateProposal(const Context& ctx,
                                                            const ProposalRequest& request) {
  Proposal draft = request.proposal;
  if (draft.id.empty() && CheckId(ctx.request_id, "id").ok()) draft.id = ctx.request_id;
  if (request.from_recommendations.has_value()) {
    draft.source = ProposalSource::kRecommendation;
  } else if (request.from_optimiser.has_value()) {
    draft.source = ProposalSource::kOptimiser;
  } else if (draft.source == ProposalSource::kUnspecified) {
    draft.source = ProposalSource::kManual;
  }
  if (absl::Status s = CheckProposalHeader(draft); !s.ok()) return s;
  if (draft.source == ProposalSource::kManual) {
    if (absl::Status s = CheckLines(draft); !s.ok()) return s;
  } else if (draft.source != ProposalSource::kManual && !request.from_recommendations &&
             !request.from_optimiser) {
    return InvalidField("proposal.source",
                        "recommendation and optimiser proposals need their parameters");
  }
  json req = {{"proposal", ProposalJson(draft)}};
  if (request.from_recommendations.has_value()) {
    const RecommendationQuery& q = *request.from_recommendations;
    req["from_recommendations"] = {
        {"date", domain::FormatDate(q.date)}, {"metals", q.metals}, {"currency", q.currency}};
  }
  if (request.from_optimiser.has_value()) {
    const OptimiseQuery& q = *request.from_optimiser;
    req["from_optimiser"] = {{"year", q.year},
                             {"date", domain::FormatDate(q.date)},
                             {"budget_minor", q.budget_minor},
                             {"currency", q.currency},
                             {"metals", q.metals},
                             {"market_impact_cap_bp", q.market_impact_cap_bp},
                             {"months", q.months},
                             {"handling", q.handling_minor_per_t}};
  }
  // Computed once, on the first attempt that gets that far (retries reuse it).
  std::optional<std::vector<ProposalLine>> computed;
  std::string rationale = draft.rationale;
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::Record> existing = ReadRecord(ledger_, keys::ProposalKey(draft.id));
    if (!existing.ok()) return existing.status();
    if (existing->version != 0) {
      return Precondition(why::kProposalExists, absl::StrCat("proposal ", draft.id, " exists"));
    }
    if (!computed.has_value()) {
      absl::StatusOr<std::vector<ProposalLine>> lines = ComputeLines(request, rationale);
      if (!lines.ok()) return lines.status();
      computed = *std::move(lines);
    }
    Proposal p = draft;
    p.lines = *computed;
    p.rationale = rationale;
    if (p.source != ProposalSource::kManual) {
      if (absl::Status s = CheckLines(p); !s.ok()) return s;
    }
    std::set<std::string> metals;
    for (const ProposalLine& l : p.lines) {
      if (metals.insert(l.metal).second) {
        if (absl::Status s = CheckMetalExists(l.metal); !s.ok()) return s;
      }
    }
    absl::StatusOr<int64_t> value = ProposalValue(p.lines);
    if (!value.ok()) return value.status();
    absl::StatusOr<ApprovalPolicy> policy = GetApprovalPolicy();
    if (!policy.ok()) return policy.status();
    p.value_minor = *value;
    // A proposal in another currency than the policy's always needs two approvers.
    p.required_approvals =
        p.currency != policy->currency || p.value_minor > policy->two_approver_threshold_minor ? 2
                                                                                               : 1;
    p.proposer = ctx.principal;
    p.status = ProposalStatus::kPending;
    p.approvals.clear();
    p.order_ids.clear();
    p.rejected_by.clear();
    p.rejection_reason.clear();
    p.created_on = ctx.business_date;
    Plan plan;
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::ProposalKey(p.id), 0, EncodeProposal(p), false});
    plan.response = ProposalJson(p);
    return plan;
  };
  return Convert<Proposal>(Mutate(ledger_, ctx, "decision.create_proposal", req, planner),
                           ProposalFromJson);
}

absl::StatusOr<Mutation<Proposal>> Decision::ApproveProposal(const Context& ctx,
                                                             absl::string_view id,
                                                             absl::string_view comment) {
  if (absl::Status s = CheckId(id, "proposal_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(comment, "comment", false); !s.ok()) return s;
  json req = {{"proposal_id", id}, {"comment", comment}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Proposal>> loaded = LoadProposal(ledger_, id);
    if (!loaded.ok()) return loaded.status();
    Proposal p = loaded->value;
    if (p.status != ProposalStatus::kPending) {
      return Precondition(why::kProposalNotPending,
                          absl::StrCat("proposal ", id, " is no longer pending"));
    }
    if (p.proposer == ctx.principal) {
      return Rejection(absl::StatusCode::kPermissionDenied, why::kSelfApproval,
                       absl::StrCat(ctx.principal, " proposed ", id, " and cannot approve it"));
    }
    for (const Approval& a : p.approvals) {
      if (a.approver == ctx.principal) {
        return Precondition(why::kAlreadyApproved,
                            absl::StrCat(ctx.principal, " already approved ", id,
                                         "; a second approver must be someone else"));
      }
    }
    if (ctx.business_date > p.valid_to) {
      return Precondition(
          why::kProposalExpired,
          absl::StrCat("proposal ", id, "'s period ended on ", domain::FormatDate(p.valid_to)));
    }
    p.approvals.push_back(Approval{ctx.principal, ctx.business_date, std::string(comment)});
    Plan plan;
    if (static_cast<int32_t>(p.approvals.size()) >= p.required_approvals) {
      // The last approval: create and fund the orders, all in this transaction.
      TxBuilder b;
      int32_t year = p.valid_from.year();
      int64_t budget_need = 0;
      std::map<std::string, int64_t> band_need;  // metal -> money
      for (size_t i = 0; i < p.lines.size(); ++i) {
        const ProposalLine& l = p.lines[i];
        Order o;
        o.id = absl::StrCat(p.id, "-", i + 1);
        o.proposal_id = p.id;
        o.direction = l.direction;
        o.metal = l.metal;
        o.quantity_g = l.quantity_g;
        o.price_limit_minor_per_t = l.price_limit_minor_per_t;
        o.amount_minor = l.amount_minor;
        o.currency = p.currency;
        o.valid_from = p.valid_from;
        o.valid_to = p.valid_to;
        o.funding = l.direction == Direction::kAcquire ? p.funding : Funding::kUnspecified;
        o.status = OrderStatus::kOpen;
        b.Move(keys::MassUnit(o.metal), keys::AuthorisedAccount(o.metal), false,
               keys::OrderQuantityAccount(o.id), true, o.quantity_g);
        if (o.direction == Direction::kAcquire) {
          std::string source = o.funding == Funding::kPriceBand
                                   ? keys::BandFundAccount(o.currency, o.metal)
                                   : keys::BudgetAccount(o.currency, year);
          b.Move(o.currency, source, true, keys::OrderMoneyAccount(o.id), true, o.amount_minor);
          if (o.funding == Funding::kPriceBand) {
            band_need[o.metal] += o.amount_minor;
          } else {
            budget_need += o.amount_minor;
          }
        }
        plan.tx.writes.push_back(
            ledger::RecordWrite{keys::OrderKey(o.id), 0, EncodeOrder(o), false});
        p.order_ids.push_back(o.id);
      }
      if (budget_need > 0) {
        absl::StatusOr<BudgetView> budget = ReadBudget(year, std::nullopt);
        if (!budget.ok()) {
          if (budget.status().code() == absl::StatusCode::kNotFound) {
            return Precondition(why::kBudgetNotSet, absl::StrCat("no budget is set for ", year));
          }
          return budget.status();
        }
        if (budget->currency != p.currency) {
          return Precondition(why::kBudgetCurrency,
                              absl::StrCat("the ", year, " budget is in ", budget->currency));
        }
        if (budget->available_minor < budget_need) {
          return Precondition(why::kBudgetExceeded,
                              absl::StrCat("the ", year, " budget has ", budget->available_minor,
                                           " uncommitted; the orders need ", budget_need));
        }
      }
      for (const auto& [metal, need] : band_need) {
        absl::StatusOr<TargetView> t = GetTarget(metal);
        if (!t.ok() && t.status().code() != absl::StatusCode::kNotFound) return t.status();
        if (!t.ok() || !t->target.band.has_value() || t->target.band->currency != p.currency) {
          return Precondition(why::kNoPriceBand,
                              absl::StrCat(metal, " has no price band in ", p.currency));
        }
        if (t->band_fund_available_minor < need) {
          return Precondition(
              why::kBandFundExceeded,
              absl::StrCat("the ", metal, " band fund has ", t->band_fund_available_minor,
                           " uncommitted; the orders need ", need));
        }
      }
      if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
      p.status = ProposalStatus::kApproved;
    }
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::ProposalKey(p.id), loaded->version, EncodeProposal(p), false});
    plan.response = ProposalJson(p);
    return plan;
  };
  return Convert<Proposal>(Mutate(ledger_, ctx, "decision.approve_proposal", req, planner),
                           ProposalFromJson);
}

absl::StatusOr<Mutation<Proposal>> Decision::RejectProposal(const Context& ctx,
                                                            absl::string_view id,
                                                            absl::string_view reason) {
  if (absl::Status s = CheckId(id, "proposal_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(reason, "reason", true); !s.ok()) return s;
  json req = {{"proposal_id", id}, {"reason", reason}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Proposal>> loaded = LoadProposal(ledger_, id);
    if (!loaded.ok()) return loaded.status();
    Proposal p = loaded->value;
    if (p.status != ProposalStatus::kPending) {
      return Precondition(why::kProposalNotPending,
                          absl::StrCat("proposal ", id, " is no longer pending"));
    }
    p.status = ProposalStatus::kRejected;
    p.rejected_by = ctx.principal;
    p.rejection_reason = std::string(reason);
    Plan plan;
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::ProposalKey(p.id), loaded->version, EncodeProposal(p), false});
    plan.response = ProposalJson(p);
    return plan;
  };
  return Convert<Proposal>(Mutate(ledger_, ctx, "decision.reject_proposal", req, planner),
                           ProposalFromJson);
}

absl::StatusOr<Proposal> Decision::GetProposal(absl::string_view id) {
  if (absl::Status s = CheckId(id, "proposal_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Proposal>> p = LoadProposal(ledger_, id);
  if (!p.ok()) return p.status();
  return p->value;
}

absl::StatusOr<ProposalPage> Decision::ListProposals(ProposalStatus status, size_t page_size,
                                                     const std::string& page_token) {
  ProposalPage out;
  absl::StatusOr<std::string> next = domain::FilteredPage(
      ledger_, keys::kProposalPrefix, page_size, page_token,
      [&](const ledger::Record& r) -> absl::StatusOr<bool> {
        absl::StatusOr<Proposal> proposal = DecodeProposal(r.value);
        if (!proposal.ok()) return proposal.status();
        if (status != ProposalStatus::kUnspecified && proposal->status != status) return false;
        out.proposals.push_back(*std::move(proposal));
        return true;
      });
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

// ---- Orders ----

absl::StatusOr<OrderView> Decision::GetOrder(absl::string_view id) {
  if (absl::Status s = CheckId(id, "order_id"); !s.ok()) return s;
  return order_book_->Get(id);
}

absl::StatusOr<OrderPage> Decision::ListOrders(OrderStatus status, size_t page_size,
                                               const std::string& page_token) {
  OrderPage out;
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, keys::kOrderPrefix, page_size, page_token,
                           [&](const ledger::Record& r) -> absl::StatusOr<bool> {
                             absl::StatusOr<Order> order = DecodeOrder(r.value);
                             if (!order.ok()) return order.status();
                             if (status != OrderStatus::kUnspecified && order->status != status)
                               return false;
                             absl::StatusOr<OrderView> view = order_book_->Get(order->id);
                             if (!view.ok()) return view.status();
                             out.orders.push_back(*std::move(view));
                             return true;
                           });
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

absl::StatusOr<Mutation<OrderView>> Decision::CloseOrder(const Context& ctx, absl::string_view id) {
  if (absl::Status s = CheckId(id, "order_id"); !s.ok()) return s;
  json req = {{"order_id", id}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<OrderView> view = order_book_->Get(id);
    if (!view.ok()) return view.status();
    Order o = view->order;
    if (o.status != OrderStatus::kOpen) {
      return Precondition(why::kOrderClosed, absl::StrCat("order ", id, " is already closed"));
    }
    TxBuilder b;
    b.Move(keys::MassUnit(o.metal), keys::OrderQuantityAccount(id), true,
           keys::AuthorisedAccount(o.metal), false, view->remaining_quantity_g);
    if (o.direction == Direction::kAcquire) {
      std::string fund = o.funding == Funding::kPriceBand
                             ? keys::BandFundAccount(o.currency, o.metal)
                             : keys::BudgetAccount(o.currency, o.valid_from.year());
      b.Move(o.currency, keys::OrderMoneyAccount(id), true, fund, true,
             view->remaining_amount_minor);
    }
    Plan plan;
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    o.status = OrderStatus::kClosed;
    o.closed_by = ctx.principal;
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::OrderKey(id), view->version, EncodeOrder(o), false});
    plan.response = OrderViewJson(OrderView{o, 0, 0, 0});
    return plan;
  };
  return Convert<OrderView>(Mutate(ledger_, ctx, "decision.close_order", req, planner),
                            OrderViewFromJson);
}

}  // namespace reserve::decision
