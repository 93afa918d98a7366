// DecisionService gRPC glue: authorise (services/common access table), translate the
// request to the domain (decision.h, auctions.h) with convert.h, call it, translate back, and
// map errors with ToGrpcStatus. Decides nothing itself. Auction RPCs are implemented in
// decision_service_auctions.cc.
#ifndef RESERVE_SERVICES_DECISION_DECISION_SERVICE_H_
#define RESERVE_SERVICES_DECISION_DECISION_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "reserve/v1/decision.grpc.pb.h"
#include "services/common/auth.h"
#include "services/decision/auctions.h"
#include "services/decision/decision.h"
#include "storage/ledger.h"

namespace reserve {

struct DecisionServiceOptions {
  decision::DecisionOptions decision;
  // "Now" for auction windows and deadlines; empty: the system clock. Tests set a fake one.
  decision::Clock clock;
};

class DecisionServiceImpl final : public v1::DecisionService::Service {
 public:
  // Builds the domain (which seeds inventory's catalog on first use, so setup can fail).
  // `ledger` and `authorizer` must outlive the result.
  static absl::StatusOr<std::unique_ptr<DecisionServiceImpl>> Create(
      ledger::Ledger& ledger, const Authorizer& authorizer, DecisionServiceOptions options = {});

  DecisionServiceImpl(const DecisionServiceImpl&) = delete;
  DecisionServiceImpl& operator=(const DecisionServiceImpl&) = delete;

  // The domain objects, for tests and wiring.
  decision::Decision& domain() { return *decision_; }
  decision::Auctions& auctions() { return *auctions_; }

  grpc::Status AddMarketData(grpc::ServerContext* context, const v1::AddMarketDataRequest* request,
                             v1::AddMarketDataResponse* response) override;
  grpc::Status ImportMarketData(grpc::ServerContext* context,
                                const v1::ImportMarketDataRequest* request,
                                v1::AddMarketDataResponse* response) override;
  grpc::Status ListMarketData(grpc::ServerContext* context,
                              const v1::ListMarketDataRequest* request,
                              v1::ListMarketDataResponse* response) override;
  grpc::Status GetMarketPointHistory(grpc::ServerContext* context,
                                     const v1::GetMarketPointHistoryRequest* request,
                                     v1::GetMarketPointHistoryResponse* response) override;
  grpc::Status SetTarget(grpc::ServerContext* context, const v1::SetTargetRequest* request,
                         v1::TargetResponse* response) override;
  grpc::Status GetTarget(grpc::ServerContext* context, const v1::GetTargetRequest* request,
                         v1::TargetResponse* response) override;
  grpc::Status ListTargets(grpc::ServerContext* context, const v1::ListTargetsRequest* request,
                           v1::ListTargetsResponse* response) override;
  grpc::Status SetAnnualCeiling(grpc::ServerContext* context,
                                const v1::SetAnnualCeilingRequest* request,
                                v1::CeilingResponse* response) override;
  grpc::Status ListAnnualCeilings(grpc::ServerContext* context,
                                  const v1::ListAnnualCeilingsRequest* request,
                                  v1::ListAnnualCeilingsResponse* response) override;
  grpc::Status SetBudget(grpc::ServerContext* context, const v1::SetBudgetRequest* request,
                         v1::BudgetResponse* response) override;
  grpc::Status GetBudget(grpc::ServerContext* context, const v1::GetBudgetRequest* request,
                         v1::BudgetResponse* response) override;
  grpc::Status SetApprovalPolicy(grpc::ServerContext* context,
                                 const v1::SetApprovalPolicyRequest* request,
                                 v1::ApprovalPolicyResponse* response) override;
  grpc::Status GetApprovalPolicy(grpc::ServerContext* context,
                                 const v1::GetApprovalPolicyRequest* request,
                                 v1::ApprovalPolicyResponse* response) override;
  grpc::Status GetRecommendations(grpc::ServerContext* context,
                                  const v1::GetRecommendationsRequest* request,
                                  v1::GetRecommendationsResponse* response) override;
  grpc::Status Optimise(grpc::ServerContext* context, const v1::OptimiseRequest* request,
                        v1::OptimiseResponse* response) override;
  grpc::Status RunBacktest(grpc::ServerContext* context, const v1::BacktestRequest* request,
                           v1::BacktestResponse* response) override;
  grpc::Status CreateProposal(grpc::ServerContext* context,
                              const v1::CreateProposalRequest* request,
                              v1::ProposalResponse* response) override;
  grpc::Status ApproveProposal(grpc::ServerContext* context,
                               const v1::ApproveProposalRequest* request,
                               v1::ProposalResponse* response) override;
  grpc::Status RejectProposal(grpc::ServerContext* context,
                              const v1::RejectProposalRequest* request,
                              v1::ProposalResponse* response) override;
  grpc::Status GetProposal(grpc::ServerContext* context, const v1::GetProposalRequest* request,
                           v1::Proposal* response) override;
  grpc::Status ListProposals(grpc::ServerContext* context, const v1::ListProposalsRequest* request,
                             v1::ListProposalsResponse* response) override;
  grpc::Status GetOrder(grpc::ServerContext* context, const v1::GetOrderRequest* request,
                        v1::Order* response) override;
  grpc::Status ListOrders(grpc::ServerContext* context, const v1::ListOrdersRequest* request,
                          v1::ListOrdersResponse* response) override;
  grpc::Status CloseOrder(grpc::ServerContext* context, const v1::CloseOrderRequest* request,
                          v1::OrderResponse* response) override;
  grpc::Status CreateAuction(grpc::ServerContext* context, const v1::CreateAuctionRequest* request,
                             v1::AuctionResponse* response) override;
  grpc::Status GetAuction(grpc::ServerContext* context, const v1::GetAuctionRequest* request,
                          v1::Auction* response) override;
  grpc::Status ListAuctions(grpc::ServerContext* context, const v1::ListAuctionsRequest* request,
                            v1::ListAuctionsResponse* response) override;
  grpc::Status RegisterBidder(grpc::ServerContext* context,
                              const v1::RegisterBidderRequest* request,
                              v1::BidderResponse* response) override;
  grpc::Status ListBidders(grpc::ServerContext* context, const v1::ListBiddersRequest* request,
                           v1::ListBiddersResponse* response) override;
  grpc::Status PlaceBid(grpc::ServerContext* context, const v1::PlaceBidRequest* request,
                        v1::BidResponse* response) override;
  grpc::Status ClearAuction(grpc::ServerContext* context, const v1::ClearAuctionRequest* request,
                            v1::AuctionResultResponse* response) override;
  grpc::Status GetAuctionResult(grpc::ServerContext* context,
                                const v1::GetAuctionResultRequest* request,
                                v1::AuctionResultResponse* response) override;
  grpc::Status VerifyAuctionResult(grpc::ServerContext* context,
                                   const v1::VerifyAuctionResultRequest* request,
                                   v1::VerifyAuctionResultResponse* response) override;
  grpc::Status RecordPayment(grpc::ServerContext* context, const v1::RecordPaymentRequest* request,
                             v1::SettlementResponse* response) override;
  grpc::Status ForfeitAward(grpc::ServerContext* context, const v1::ForfeitAwardRequest* request,
                            v1::SettlementResponse* response) override;
  grpc::Status DeliverLots(grpc::ServerContext* context, const v1::DeliverLotsRequest* request,
                           v1::DeliverLotsResponse* response) override;

 private:
  DecisionServiceImpl(std::unique_ptr<decision::Decision> decision,
                      std::unique_ptr<decision::Auctions> auctions, const Authorizer& authorizer)
      : decision_(std::move(decision)), auctions_(std::move(auctions)), authorizer_(authorizer) {}

  absl::StatusOr<Principal> Authorize(grpc::ServerContext* context, absl::string_view method) const;

  const std::unique_ptr<decision::Decision> decision_;
  const std::unique_ptr<decision::Auctions> auctions_;
  const Authorizer& authorizer_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_DECISION_DECISION_SERVICE_H_
