#include "services/decision/decision_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/grpc_status.h"
#include "services/decision/convert.h"
#include "services/decision/engine/backtest.h"
#include "storage/errors.h"

namespace reserve {

using decision_glue::FromProto;
using decision_glue::ToProto;
namespace dec = decision;

namespace {

std::string FullMethod(absl::string_view method) {
  return absl::StrCat("/reserve.v1.DecisionService/", method);
}

// Calls `fill` with the value, or converts the error.
template <typename T, typename Fill>
grpc::Status Reply(const absl::StatusOr<T>& result, Fill fill) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  fill(*result);
  return grpc::Status::OK;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DecisionServiceImpl>> DecisionServiceImpl::Create(
    ledger::Ledger& ledger, const Authorizer& authorizer, DecisionServiceOptions options) {
  absl::StatusOr<std::unique_ptr<decision::Decision>> d =
      decision::Decision::Create(ledger, options.decision);
  if (!d.ok()) return d.status();
  decision::Clock clock = options.clock ? options.clock : [] { return absl::Now(); };
  auto auctions = std::make_unique<decision::Auctions>(ledger, (*d)->order_book(),
                                                       (*d)->inventory(), std::move(clock));
  return std::unique_ptr<DecisionServiceImpl>(
      new DecisionServiceImpl(*std::move(d), std::move(auctions), authorizer));
}

absl::StatusOr<Principal> DecisionServiceImpl::Authorize(grpc::ServerContext* context,
                                                         absl::string_view method) const {
  return authorizer_.Authorize(context, FullMethod(method));
}

// ---- Market data ----

grpc::Status DecisionServiceImpl::AddMarketData(grpc::ServerContext* context,
                                                const v1::AddMarketDataRequest* request,
                                                v1::AddMarketDataResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "AddMarketData");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  std::vector<dec::MarketPoint> points;
  for (int i = 0; i < request->points_size(); ++i) {
    absl::StatusOr<dec::MarketPoint> p =
        FromProto(request->points(i), absl::StrCat("points[", i, "]"));
    if (!p.ok()) return ToGrpcStatus(p.status());
    points.push_back(*std::move(p));
  }
  return Reply(decision_->AddMarketData(*ctx, points), [&](const dec::Mutation<size_t>& m) {
    response->set_count(static_cast<int64_t>(m.value));
    SetCommit(m, response->mutable_commit());
  });
}

grpc::Status DecisionServiceImpl::ImportMarketData(grpc::ServerContext* context,
                                                   const v1::ImportMarketDataRequest* request,
                                                   v1::AddMarketDataResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ImportMarketData");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(decision_->ImportMarketDataCsv(*ctx, request->csv()),
               [&](const dec::Mutation<size_t>& m) {
                 response->set_count(static_cast<int64_t>(m.value));
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::ListMarketData(grpc::ServerContext* context,
                                                 const v1::ListMarketDataRequest* request,
                                                 v1::ListMarketDataResponse* response) {
  if (auto who = Authorize(context, "ListMarketData"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::CivilDay from = ledger::kMinBusinessDate;
  absl::CivilDay to = ledger::kMaxBusinessDate;
  if (request->has_from_date()) {
    absl::StatusOr<absl::CivilDay> d = FromProtoDate(request->from_date(), "from_date");
    if (!d.ok()) return ToGrpcStatus(d.status());
    from = *d;
  }
  if (request->has_to_date()) {
    absl::StatusOr<absl::CivilDay> d = FromProtoDate(request->to_date(), "to_date");
    if (!d.ok()) return ToGrpcStatus(d.status());
    to = *d;
  }
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  return Reply(decision_->ListMarketData(FromProto(request->series()), request->metal(), from, to,
                                         *size, request->page_token()),
               [&](const dec::MarketPage& page) {
                 for (const dec::MarketPoint& p : page.points) ToProto(p, response->add_points());
                 response->set_next_page_token(page.next_page_token);
               });
}

grpc::Status DecisionServiceImpl::GetMarketPointHistory(
    grpc::ServerContext* context, const v1::GetMarketPointHistoryRequest* request,
    v1::GetMarketPointHistoryResponse* response) {
  if (auto who = Authorize(context, "GetMarketPointHistory"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<absl::CivilDay> date = FromProtoDate(request->date(), "date");
  if (!date.ok()) return ToGrpcStatus(date.status());
  return Reply(decision_->MarketPointHistory(FromProto(request->series()), request->metal(), *date),
               [&](const std::vector<dec::MarketPointVersion>& versions) {
                 for (const dec::MarketPointVersion& v : versions) {
                   v1::MarketPointVersion* pv = response->add_versions();
                   pv->set_seq(v.seq);
                   pv->set_principal(v.principal);
                   ToProto(v.point, pv->mutable_point());
                 }
               });
}

// ---- Targets, ceilings, budgets, policy ----

grpc::Status DecisionServiceImpl::SetTarget(grpc::ServerContext* context,
                                            const v1::SetTargetRequest* request,
                                            v1::TargetResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "SetTarget");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(decision_->SetTarget(*ctx, FromProto(request->target())),
               [&](const dec::Mutation<dec::TargetView>& m) {
                 ToProto(m.value, response);
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::GetTarget(grpc::ServerContext* context,
                                            const v1::GetTargetRequest* request,
                                            v1::TargetResponse* response) {
  if (auto who = Authorize(context, "GetTarget"); !who.ok()) return ToGrpcStatus(who.status());
  return Reply(decision_->GetTarget(request->metal()),
               [&](const dec::TargetView& v) { ToProto(v, response); });
}

grpc::Status DecisionServiceImpl::ListTargets(grpc::ServerContext* context,
                                              const v1::ListTargetsRequest* request,
                                              v1::ListTargetsResponse* response) {
  if (auto who = Authorize(context, "ListTargets"); !who.ok()) return ToGrpcStatus(who.status());
  return Reply(decision_->ListTargets(), [&](const std::vector<dec::TargetView>& targets) {
    for (const dec::TargetView& v : targets) ToProto(v, response->add_targets());
  });
}

grpc::Status DecisionServiceImpl::SetAnnualCeiling(grpc::ServerContext* context,
                                                   const v1::SetAnnualCeilingRequest* request,
                                                   v1::CeilingResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "SetAnnualCeiling");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  const v1::AnnualCeiling& c = request->ceiling();
  dec::AnnualCeiling ceiling{c.metal(), c.year(), c.acquire_ceiling_g(), c.dispose_ceiling_g()};
  return Reply(decision_->SetAnnualCeiling(*ctx, ceiling),
               [&](const dec::Mutation<dec::CeilingView>& m) {
                 ToProto(m.value, response->mutable_status());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::ListAnnualCeilings(grpc::ServerContext* context,
                                                     const v1::ListAnnualCeilingsRequest* request,
                                                     v1::ListAnnualCeilingsResponse* response) {
  if (auto who = Authorize(context, "ListAnnualCeilings"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  return Reply(decision_->ListAnnualCeilings(request->year()),
               [&](const std::vector<dec::CeilingView>& ceilings) {
                 for (const dec::CeilingView& v : ceilings) ToProto(v, response->add_ceilings());
               });
}

grpc::Status DecisionServiceImpl::SetBudget(grpc::ServerContext* context,
                                            const v1::SetBudgetRequest* request,
                                            v1::BudgetResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "SetBudget");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  dec::Budget budget{request->year(), request->currency(), request->amount_minor()};
  return Reply(decision_->SetBudget(*ctx, budget), [&](const dec::Mutation<dec::BudgetView>& m) {
    ToProto(m.value, response->mutable_budget());
    SetCommit(m, response->mutable_commit());
  });
}

grpc::Status DecisionServiceImpl::GetBudget(grpc::ServerContext* context,
                                            const v1::GetBudgetRequest* request,
                                            v1::BudgetResponse* response) {
  if (auto who = Authorize(context, "GetBudget"); !who.ok()) return ToGrpcStatus(who.status());
  return Reply(decision_->GetBudget(request->year()),
               [&](const dec::BudgetView& v) { ToProto(v, response->mutable_budget()); });
}

grpc::Status DecisionServiceImpl::SetApprovalPolicy(grpc::ServerContext* context,
                                                    const v1::SetApprovalPolicyRequest* request,
                                                    v1::ApprovalPolicyResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "SetApprovalPolicy");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  dec::ApprovalPolicy policy{request->policy().two_approver_threshold_minor(),
                             request->policy().currency()};
  return Reply(decision_->SetApprovalPolicy(*ctx, policy),
               [&](const dec::Mutation<dec::ApprovalPolicy>& m) {
                 response->mutable_policy()->set_two_approver_threshold_minor(
                     m.value.two_approver_threshold_minor);
                 response->mutable_policy()->set_currency(m.value.currency);
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::GetApprovalPolicy(grpc::ServerContext* context,
                                                    const v1::GetApprovalPolicyRequest* request,
                                                    v1::ApprovalPolicyResponse* response) {
  if (auto who = Authorize(context, "GetApprovalPolicy"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  return Reply(decision_->GetApprovalPolicy(), [&](const dec::ApprovalPolicy& p) {
    response->mutable_policy()->set_two_approver_threshold_minor(p.two_approver_threshold_minor);
    response->mutable_policy()->set_currency(p.currency);
  });
}

// ---- Analysis ----

grpc::Status DecisionServiceImpl::GetRecommendations(grpc::ServerContext* context,
                                                     const v1::GetRecommendationsRequest* request,
                                                     v1::GetRecommendationsResponse* response) {
  if (auto who = Authorize(context, "GetRecommendations"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<dec::RecommendationQuery> query = FromProto(*request, "");
  if (!query.ok()) return ToGrpcStatus(query.status());
  return Reply(decision_->Recommend(*query),
               [&](const dec::Recommendations& r) { ToProto(r, response); });
}

grpc::Status DecisionServiceImpl::Optimise(grpc::ServerContext* context,
                                           const v1::OptimiseRequest* request,
                                           v1::OptimiseResponse* response) {
  if (auto who = Authorize(context, "Optimise"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::OptimiseQuery> query = FromProto(*request, "");
  if (!query.ok()) return ToGrpcStatus(query.status());
  return Reply(decision_->Optimise(*query),
               [&](const dec::Optimisation& o) { ToProto(o, response); });
}

grpc::Status DecisionServiceImpl::RunBacktest(grpc::ServerContext* context,
                                              const v1::BacktestRequest* request,
                                              v1::BacktestResponse* response) {
  if (auto who = Authorize(context, "RunBacktest"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::BacktestQuery> query = FromProto(*request);
  if (!query.ok()) return ToGrpcStatus(query.status());
  return Reply(decision_->Backtest(*query), [&](const dec::engine::BacktestResult& r) {
    ToProto(r, response);
    if (request->include_csv()) {
      response->set_rows_csv(dec::engine::BacktestRowsCsv(r));
      response->set_totals_csv(dec::engine::BacktestTotalsCsv(r));
    }
    if (request->include_svg()) response->set_chart_svg(dec::engine::BacktestSvg(r));
  });
}

// ---- Proposals ----

grpc::Status DecisionServiceImpl::CreateProposal(grpc::ServerContext* context,
                                                 const v1::CreateProposalRequest* request,
                                                 v1::ProposalResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "CreateProposal");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  absl::StatusOr<dec::ProposalRequest> proposal = FromProto(*request);
  if (!proposal.ok()) return ToGrpcStatus(proposal.status());
  return Reply(decision_->CreateProposal(*ctx, *proposal),
               [&](const dec::Mutation<dec::Proposal>& m) {
                 ToProto(m.value, response->mutable_proposal());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::ApproveProposal(grpc::ServerContext* context,
                                                  const v1::ApproveProposalRequest* request,
                                                  v1::ProposalResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ApproveProposal");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(decision_->ApproveProposal(*ctx, request->proposal_id(), request->comment()),
               [&](const dec::Mutation<dec::Proposal>& m) {
                 ToProto(m.value, response->mutable_proposal());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::RejectProposal(grpc::ServerContext* context,
                                                 const v1::RejectProposalRequest* request,
                                                 v1::ProposalResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RejectProposal");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(decision_->RejectProposal(*ctx, request->proposal_id(), request->reason()),
               [&](const dec::Mutation<dec::Proposal>& m) {
                 ToProto(m.value, response->mutable_proposal());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::GetProposal(grpc::ServerContext* context,
                                              const v1::GetProposalRequest* request,
                                              v1::Proposal* response) {
  if (auto who = Authorize(context, "GetProposal"); !who.ok()) return ToGrpcStatus(who.status());
  return Reply(decision_->GetProposal(request->proposal_id()),
               [&](const dec::Proposal& p) { ToProto(p, response); });
}

grpc::Status DecisionServiceImpl::ListProposals(grpc::ServerContext* context,
                                                const v1::ListProposalsRequest* request,
                                                v1::ListProposalsResponse* response) {
  if (auto who = Authorize(context, "ListProposals"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  return Reply(decision_->ListProposals(FromProto(request->status()), *size, request->page_token()),
               [&](const dec::ProposalPage& page) {
                 for (const dec::Proposal& p : page.proposals)
                   ToProto(p, response->add_proposals());
                 response->set_next_page_token(page.next_page_token);
               });
}

// ---- Orders ----

grpc::Status DecisionServiceImpl::GetOrder(grpc::ServerContext* context,
                                           const v1::GetOrderRequest* request,
                                           v1::Order* response) {
  if (auto who = Authorize(context, "GetOrder"); !who.ok()) return ToGrpcStatus(who.status());
  return Reply(decision_->GetOrder(request->order_id()),
               [&](const dec::OrderView& v) { ToProto(v, response); });
}

grpc::Status DecisionServiceImpl::ListOrders(grpc::ServerContext* context,
                                             const v1::ListOrdersRequest* request,
                                             v1::ListOrdersResponse* response) {
  if (auto who = Authorize(context, "ListOrders"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  return Reply(decision_->ListOrders(FromProto(request->status()), *size, request->page_token()),
               [&](const dec::OrderPage& page) {
                 for (const dec::OrderView& v : page.orders) ToProto(v, response->add_orders());
                 response->set_next_page_token(page.next_page_token);
               });
}

grpc::Status DecisionServiceImpl::CloseOrder(grpc::ServerContext* context,
                                             const v1::CloseOrderRequest* request,
                                             v1::OrderResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "CloseOrder");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(decision_->CloseOrder(*ctx, request->order_id()),
               [&](const dec::Mutation<dec::OrderView>& m) {
                 ToProto(m.value, response->mutable_order());
                 SetCommit(m, response->mutable_commit());
               });
}

}  // namespace reserve
