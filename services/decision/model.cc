#include "services/decision/model.h"

#include <exception>
#include <optional>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/domain/json.h"

namespace reserve::decision {

NLOHMANN_JSON_SERIALIZE_ENUM(MarketSeries,
                             {{MarketSeries::kUnspecified, "unspecified"},
                              {MarketSeries::kConsumption, "consumption"},
                              {MarketSeries::kCapacityUtilisation, "capacity_utilisation"},
                              {MarketSeries::kImportDependence, "import_dependence"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Direction, {{Direction::kUnspecified, "unspecified"},
                                         {Direction::kAcquire, "acquire"},
                                         {Direction::kRelease, "release"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Funding, {{Funding::kUnspecified, "unspecified"},
                                       {Funding::kBudget, "budget"},
                                       {Funding::kPriceBand, "price_band"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ProposalSource, {{ProposalSource::kUnspecified, "unspecified"},
                                              {ProposalSource::kManual, "manual"},
                                              {ProposalSource::kRecommendation, "recommendation"},
                                              {ProposalSource::kOptimiser, "optimiser"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ProposalStatus, {{ProposalStatus::kUnspecified, "unspecified"},
                                              {ProposalStatus::kPending, "pending"},
                                              {ProposalStatus::kApproved, "approved"},
                                              {ProposalStatus::kRejected, "rejected"}})
NLOHMANN_JSON_SERIALIZE_ENUM(OrderStatus, {{OrderStatus::kUnspecified, "unspecified"},
                                           {OrderStatus::kOpen, "open"},
                                           {OrderStatus::kClosed, "closed"}})
NLOHMANN_JSON_SERIALIZE_ENUM(AuctionStatus, {{AuctionStatus::kUnspecified, "unspecified"},
                                             {AuctionStatus::kOpen, "open"},
                                             {AuctionStatus::kBiddingClosed, "bidding_closed"},
                                             {AuctionStatus::kCleared, "cleared"}})
NLOHMANN_JSON_SERIALIZE_ENUM(SettlementStatus, {{SettlementStatus::kUnspecified, "unspecified"},
                                                {SettlementStatus::kAwarded, "awarded"},
                                                {SettlementStatus::kPaid, "paid"},
                                                {SettlementStatus::kForfeited, "forfeited"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MarketPoint, series, metal, date, value, source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PriceBand, floor_minor_per_t, ceiling_minor_per_t,
                                                currency, funding_limit_minor)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Target, metal, cover_target_days, cover_min_days,
                                                cover_max_days, weight, band)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AnnualCeiling, metal, year, acquire_ceiling_g,
                                                dispose_ceiling_g)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Budget, year, currency, amount_minor)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ApprovalPolicy, two_approver_threshold_minor,
                                                currency)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DepotShare, depot, quantity_g, amount_minor,
                                                price_minor_per_t)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProposalLine, direction, metal, quantity_g,
                                                price_limit_minor_per_t, amount_minor, depot_plan)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Approval, approver, date, comment)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Proposal, id, title, rationale, source, currency,
                                                valid_from, valid_to, funding, lines, proposer,
                                                status, value_minor, required_approvals, approvals,
                                                rejected_by, rejection_reason, order_ids,
                                                created_on)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Order, id, proposal_id, direction, metal,
                                                quantity_g, price_limit_minor_per_t, amount_minor,
                                                currency, valid_from, valid_to, funding, status,
                                                closed_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuctionLot, lot_id, reserve_price_minor_per_t,
                                                metal, mass_g, depot)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Auction, id, title, order_id, currency, lots,
                                                eligibility_cutoff, deposit_minor, bidder_cap_g,
                                                bidding_opens_at_ms, bidding_closes_at_ms,
                                                payment_days, pickup_days, metal, ceiling_year,
                                                status, bidders, cleared_at_ms, payment_due,
                                                pickup_due)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Bidder, id, company, corporate_group, manufacturer,
                                                company_registered_on, deposit_minor,
                                                accepts_no_resale, registered_at_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Bid, auction_id, bidder_id, lot_id,
                                                price_minor_per_t, placed_at_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Award, lot_id, bidder_id, price_minor_per_t, mass_g,
                                                amount_minor, bid_seq)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Settlement, bidder_id, company, lot_ids, mass_g,
                                                amount_due_minor, deposit_minor, status,
                                                payment_due, pickup_due, paid_minor,
                                                no_resale_commitment)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuctionResult, auction_id, awards, unsold_lot_ids,
                                                settlements, sold_mass_g, proceeds_minor)

using domain::DecodeJson;
using domain::EncodeJson;

absl::string_view MarketSeriesName(MarketSeries s) {
  switch (s) {
    case MarketSeries::kConsumption:
      return "consumption";
    case MarketSeries::kCapacityUtilisation:
      return "capacity_utilisation";
    case MarketSeries::kImportDependence:
      return "import_dependence";
    case MarketSeries::kUnspecified:
      break;
  }
  return "unspecified";
}

std::optional<MarketSeries> ParseMarketSeries(absl::string_view name) {
  for (MarketSeries s : {MarketSeries::kConsumption, MarketSeries::kCapacityUtilisation,
                         MarketSeries::kImportDependence}) {
    if (MarketSeriesName(s) == name) return s;
  }
  return std::nullopt;
}

absl::string_view DirectionName(Direction d) {
  switch (d) {
    case Direction::kAcquire:
      return "acquire";
    case Direction::kRelease:
      return "release";
    case Direction::kUnspecified:
      break;
  }
  return "unspecified";
}

std::string EncodeMarketPoint(const MarketPoint& v) { return EncodeJson(v); }
std::string EncodeTarget(const Target& v) { return EncodeJson(v); }
std::string EncodeAnnualCeiling(const AnnualCeiling& v) { return EncodeJson(v); }
std::string EncodeBudget(const Budget& v) { return EncodeJson(v); }
std::string EncodeApprovalPolicy(const ApprovalPolicy& v) { return EncodeJson(v); }
std::string EncodeProposal(const Proposal& v) { return EncodeJson(v); }
std::string EncodeOrder(const Order& v) { return EncodeJson(v); }
std::string EncodeAuction(const Auction& v) { return EncodeJson(v); }
std::string EncodeBidder(const Bidder& v) { return EncodeJson(v); }
std::string EncodeBid(const Bid& v) { return EncodeJson(v); }
std::string EncodeAuctionResult(const AuctionResult& v) { return EncodeJson(v); }
std::string EncodeSettlement(const Settlement& v) { return EncodeJson(v); }

absl::StatusOr<MarketPoint> DecodeMarketPoint(absl::string_view j) {
  return DecodeJson<MarketPoint>(j, "market point");
}
absl::StatusOr<Target> DecodeTarget(absl::string_view j) { return DecodeJson<Target>(j, "target"); }
absl::StatusOr<AnnualCeiling> DecodeAnnualCeiling(absl::string_view j) {
  return DecodeJson<AnnualCeiling>(j, "ceiling");
}
absl::StatusOr<Budget> DecodeBudget(absl::string_view j) { return DecodeJson<Budget>(j, "budget"); }
absl::StatusOr<ApprovalPolicy> DecodeApprovalPolicy(absl::string_view j) {
  return DecodeJson<ApprovalPolicy>(j, "approval policy");
}
absl::StatusOr<Proposal> DecodeProposal(absl::string_view j) {
  return DecodeJson<Proposal>(j, "proposal");
}
absl::StatusOr<Order> DecodeOrder(absl::string_view j) { return DecodeJson<Order>(j, "order"); }
absl::StatusOr<Auction> DecodeAuction(absl::string_view j) {
  return DecodeJson<Auction>(j, "auction");
}
absl::StatusOr<Bidder> DecodeBidder(absl::string_view j) { return DecodeJson<Bidder>(j, "bidder"); }
absl::StatusOr<Bid> DecodeBid(absl::string_view j) { return DecodeJson<Bid>(j, "bid"); }
absl::StatusOr<AuctionResult> DecodeAuctionResult(absl::string_view j) {
  return DecodeJson<AuctionResult>(j, "auction result");
}
absl::StatusOr<Settlement> DecodeSettlement(absl::string_view j) {
  return DecodeJson<Settlement>(j, "settlement");
}

}  // namespace reserve::decision
