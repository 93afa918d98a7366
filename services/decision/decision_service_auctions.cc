// DecisionService glue: the release-auction RPCs (domain: auctions.h).
#include <string>
#include <vector>

#include "services/common/grpc_status.h"
#include "services/decision/convert.h"
#include "services/decision/decision_service.h"

namespace reserve {

using decision_glue::FromProto;
using decision_glue::ToProto;
namespace dec = decision;

namespace {

template <typename T, typename Fill>
grpc::Status Reply(const absl::StatusOr<T>& result, Fill fill) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  fill(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status DecisionServiceImpl::CreateAuction(grpc::ServerContext* context,
                                                const v1::CreateAuctionRequest* request,
                                                v1::AuctionResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "CreateAuction");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  absl::StatusOr<dec::Auction> auction = FromProto(request->auction());
  if (!auction.ok()) return ToGrpcStatus(auction.status());
  return Reply(auctions_->Create(*ctx, *auction), [&](const dec::Mutation<dec::Auction>& m) {
    ToProto(m.value, response->mutable_auction());
    SetCommit(m, response->mutable_commit());
  });
}

grpc::Status DecisionServiceImpl::GetAuction(grpc::ServerContext* context,
                                             const v1::GetAuctionRequest* request,
                                             v1::Auction* response) {
  if (auto who = Authorize(context, "GetAuction"); !who.ok()) return ToGrpcStatus(who.status());
  return Reply(auctions_->Get(request->auction_id()),
               [&](const dec::Auction& a) { ToProto(a, response); });
}

grpc::Status DecisionServiceImpl::ListAuctions(grpc::ServerContext* context,
                                               const v1::ListAuctionsRequest* request,
                                               v1::ListAuctionsResponse* response) {
  if (auto who = Authorize(context, "ListAuctions"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  return Reply(auctions_->List(*size, request->page_token()), [&](const dec::AuctionPage& page) {
    for (const dec::Auction& a : page.auctions) ToProto(a, response->add_auctions());
    response->set_next_page_token(page.next_page_token);
  });
}

grpc::Status DecisionServiceImpl::RegisterBidder(grpc::ServerContext* context,
                                                 const v1::RegisterBidderRequest* request,
                                                 v1::BidderResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RegisterBidder");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  absl::StatusOr<dec::Bidder> bidder = FromProto(request->bidder());
  if (!bidder.ok()) return ToGrpcStatus(bidder.status());
  return Reply(auctions_->Register(*ctx, request->auction_id(), *bidder),
               [&](const dec::Mutation<dec::Bidder>& m) {
                 ToProto(m.value, response->mutable_bidder());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::ListBidders(grpc::ServerContext* context,
                                              const v1::ListBiddersRequest* request,
                                              v1::ListBiddersResponse* response) {
  if (auto who = Authorize(context, "ListBidders"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  return Reply(auctions_->ListBidders(request->auction_id(), *size, request->page_token()),
               [&](const dec::BidderPage& page) {
                 for (const dec::Bidder& b : page.bidders) ToProto(b, response->add_bidders());
                 response->set_next_page_token(page.next_page_token);
               });
}

grpc::Status DecisionServiceImpl::PlaceBid(grpc::ServerContext* context,
                                           const v1::PlaceBidRequest* request,
                                           v1::BidResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "PlaceBid");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  const v1::Bid& b = request->bid();
  dec::Bid bid{b.auction_id(), b.bidder_id(), b.lot_id(), b.price_minor_per_t(), 0, 0};
  return Reply(auctions_->PlaceBid(*ctx, bid), [&](const dec::Mutation<dec::Bid>& m) {
    ToProto(m.value, response->mutable_bid());
    SetCommit(m, response->mutable_commit());
  });
}

grpc::Status DecisionServiceImpl::ClearAuction(grpc::ServerContext* context,
                                               const v1::ClearAuctionRequest* request,
                                               v1::AuctionResultResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ClearAuction");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(auctions_->Clear(*ctx, request->auction_id()),
               [&](const dec::Mutation<dec::AuctionResult>& m) {
                 ToProto(m.value, {}, response->mutable_result());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::GetAuctionResult(grpc::ServerContext* context,
                                                   const v1::GetAuctionResultRequest* request,
                                                   v1::AuctionResultResponse* response) {
  if (auto who = Authorize(context, "GetAuctionResult"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  return Reply(auctions_->GetResult(request->auction_id()), [&](const dec::AuctionResultView& v) {
    ToProto(v.result, v.delivered, response->mutable_result());
  });
}

grpc::Status DecisionServiceImpl::VerifyAuctionResult(grpc::ServerContext* context,
                                                      const v1::VerifyAuctionResultRequest* request,
                                                      v1::VerifyAuctionResultResponse* response) {
  if (auto who = Authorize(context, "VerifyAuctionResult"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  return Reply(auctions_->Verify(request->auction_id()), [&](const dec::Verification& v) {
    response->set_matches(v.matches);
    ToProto(v.recomputed, {}, response->mutable_recomputed());
    response->set_journal_entries_read(v.journal_entries_read);
    response->set_difference(v.difference);
  });
}

grpc::Status DecisionServiceImpl::RecordPayment(grpc::ServerContext* context,
                                                const v1::RecordPaymentRequest* request,
                                                v1::SettlementResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RecordPayment");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(auctions_->RecordPayment(*ctx, request->auction_id(), request->bidder_id(),
                                        request->amount_minor()),
               [&](const dec::Mutation<dec::Settlement>& m) {
                 ToProto(m.value, {}, response->mutable_settlement());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::ForfeitAward(grpc::ServerContext* context,
                                               const v1::ForfeitAwardRequest* request,
                                               v1::SettlementResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ForfeitAward");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  return Reply(auctions_->Forfeit(*ctx, request->auction_id(), request->bidder_id()),
               [&](const dec::Mutation<dec::Settlement>& m) {
                 ToProto(m.value, {}, response->mutable_settlement());
                 SetCommit(m, response->mutable_commit());
               });
}

grpc::Status DecisionServiceImpl::DeliverLots(grpc::ServerContext* context,
                                              const v1::DeliverLotsRequest* request,
                                              v1::DeliverLotsResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "DeliverLots");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dec::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  std::vector<std::string> lots(request->lot_ids().begin(), request->lot_ids().end());
  return Reply(auctions_->Deliver(*ctx, request->auction_id(), request->bidder_id(), lots),
               [&](const dec::Mutation<dec::Delivery>& m) {
                 for (const inventory::Lot& l : m.value.released.lots) {
                   ToProto(l, response->add_lots());
                 }
                 response->set_released_mass_g(m.value.released.mass_g);
                 response->set_late(m.value.late);
                 SetCommit(m, response->mutable_commit());
               });
}

}  // namespace reserve
