// Decision domain types: market data, targets, ceilings, budgets, proposals, orders and
// release auctions (DESIGN.md sections 1 and 5; issue 5).
//
// Plain value types. Mass is integer grams, money integer minor units of `currency`, prices
// minor units per tonne, shares basis points, instants Unix milliseconds. Every record type
// round-trips through JSON (model.cc); the JSON form is what the ledger stores under the keys
// listed in services/decision/README.md, so JSON field names and enum names are an on-disk
// contract: never rename one.
#ifndef RESERVE_SERVICES_DECISION_MODEL_H_
#define RESERVE_SERVICES_DECISION_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace reserve::decision {

// Enum values match the proto numbering (decision.proto); stored as their names.
enum class MarketSeries {
  kUnspecified = 0,
  kConsumption = 1,          // grams per year
  kCapacityUtilisation = 2,  // basis points
  kImportDependence = 3,     // basis points
};
enum class Direction { kUnspecified = 0, kAcquire = 1, kRelease = 2 };
enum class Funding { kUnspecified = 0, kBudget = 1, kPriceBand = 2 };
enum class ProposalSource { kUnspecified = 0, kManual = 1, kRecommendation = 2, kOptimiser = 3 };
enum class ProposalStatus { kUnspecified = 0, kPending = 1, kApproved = 2, kRejected = 3 };
enum class OrderStatus { kUnspecified = 0, kOpen = 1, kClosed = 2 };
enum class AuctionStatus { kUnspecified = 0, kOpen = 1, kBiddingClosed = 2, kCleared = 3 };
enum class SettlementStatus { kUnspecified = 0, kAwarded = 1, kPaid = 2, kForfeited = 3 };

// "consumption", "capacity_utilisation", "import_dependence" (used in keys and CSV).
absl::string_view MarketSeriesName(MarketSeries s);
std::optional<MarketSeries> ParseMarketSeries(absl::string_view name);
absl::string_view DirectionName(Direction d);  // "acquire", "release"

struct MarketPoint {
  MarketSeries series = MarketSeries::kUnspecified;
  std::string metal;
  absl::CivilDay date;
  int64_t value = 0;
  std::string source;
  friend bool operator==(const MarketPoint&, const MarketPoint&) = default;
};

struct PriceBand {
  int64_t floor_minor_per_t = 0;
  int64_t ceiling_minor_per_t = 0;
  std::string currency;
  int64_t funding_limit_minor = 0;
  friend bool operator==(const PriceBand&, const PriceBand&) = default;
};

struct Target {
  std::string metal;
  int32_t cover_target_days = 0;
  int32_t cover_min_days = 0;
  int32_t cover_max_days = 0;
  int32_t weight = 1;
  std::optional<PriceBand> band;
  friend bool operator==(const Target&, const Target&) = default;
};

struct AnnualCeiling {
  std::string metal;
  int32_t year = 0;
  int64_t acquire_ceiling_g = 0;
  int64_t dispose_ceiling_g = 0;
  friend bool operator==(const AnnualCeiling&, const AnnualCeiling&) = default;
};

struct Budget {
  int32_t year = 0;
  std::string currency;
  int64_t amount_minor = 0;
  friend bool operator==(const Budget&, const Budget&) = default;
};

struct ApprovalPolicy {
  int64_t two_approver_threshold_minor = 0;
  std::string currency;
  friend bool operator==(const ApprovalPolicy&, const ApprovalPolicy&) = default;
};

// The optimiser's split of one line by depot (informational: orders are not depot-bound).
struct DepotShare {
  std::string depot;
  int64_t quantity_g = 0;
  int64_t amount_minor = 0;
  int64_t price_minor_per_t = 0;
  friend bool operator==(const DepotShare&, const DepotShare&) = default;
};

struct ProposalLine {
  Direction direction = Direction::kUnspecified;
  std::string metal;
  int64_t quantity_g = 0;
  int64_t price_limit_minor_per_t = 0;
  int64_t amount_minor = 0;  // acquisitions only
  std::vector<DepotShare> depot_plan;
  friend bool operator==(const ProposalLine&, const ProposalLine&) = default;
};

struct Approval {
  std::string approver;
  absl::CivilDay date;  // the approval's business date
  std::string comment;
  friend bool operator==(const Approval&, const Approval&) = default;
};

struct Proposal {
  std::string id;
  std::string title;
  std::string rationale;
  ProposalSource source = ProposalSource::kUnspecified;
  std::string currency;
  absl::CivilDay valid_from;
  absl::CivilDay valid_to;
  Funding funding = Funding::kUnspecified;
  std::vector<ProposalLine> lines;
  std::string proposer;
  ProposalStatus status = ProposalStatus::kUnspecified;
  int64_t value_minor = 0;
  int32_t required_approvals = 1;
  std::vector<Approval> approvals;
  std::string rejected_by;
  std::string rejection_reason;
  std::vector<std::string> order_ids;
  absl::CivilDay created_on;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

struct Order {
  std::string id;
  std::string proposal_id;
  Direction direction = Direction::kUnspecified;
  std::string metal;
  int64_t quantity_g = 0;
  int64_t price_limit_minor_per_t = 0;
  int64_t amount_minor = 0;
  std::string currency;
  absl::CivilDay valid_from;
  absl::CivilDay valid_to;
  Funding funding = Funding::kUnspecified;
  OrderStatus status = OrderStatus::kUnspecified;
  std::string closed_by;
  friend bool operator==(const Order&, const Order&) = default;
};

struct AuctionLot {
  std::string lot_id;
  int64_t reserve_price_minor_per_t = 0;
  std::string metal;
  int64_t mass_g = 0;
  std::string depot;
  friend bool operator==(const AuctionLot&, const AuctionLot&) = default;
};

struct Auction {
  std::string id;
  std::string title;
  std::string order_id;
  std::string currency;
  std::vector<AuctionLot> lots;
  absl::CivilDay eligibility_cutoff;
  int64_t deposit_minor = 0;
  int64_t bidder_cap_g = 0;
  int64_t bidding_opens_at_ms = 0;
  int64_t bidding_closes_at_ms = 0;
  int32_t payment_days = 0;
  int32_t pickup_days = 0;
  std::string metal;
  int32_t ceiling_year = 0;  // the year whose disposal ceiling the lots count against
  AuctionStatus status = AuctionStatus::kUnspecified;
  int32_t bidders = 0;  // output, from the auction's slot account (stored as 0)
  int64_t cleared_at_ms = 0;
  absl::CivilDay payment_due;
  absl::CivilDay pickup_due;
  friend bool operator==(const Auction&, const Auction&) = default;
};

struct Bidder {
  std::string id;
  std::string company;
  std::string corporate_group;
  bool manufacturer = false;
  absl::CivilDay company_registered_on;
  int64_t deposit_minor = 0;
  bool accepts_no_resale = false;
  int64_t registered_at_ms = 0;
  friend bool operator==(const Bidder&, const Bidder&) = default;
};

struct Bid {
  std::string auction_id;
  std::string bidder_id;
  std::string lot_id;
  int64_t price_minor_per_t = 0;
  int64_t placed_at_ms = 0;
  uint64_t seq = 0;  // the record's version (not stored in the JSON)
  friend bool operator==(const Bid&, const Bid&) = default;
};

struct Award {
  std::string lot_id;
  std::string bidder_id;
  int64_t price_minor_per_t = 0;
  int64_t mass_g = 0;
  int64_t amount_minor = 0;
  uint64_t bid_seq = 0;
  friend bool operator==(const Award&, const Award&) = default;
};

struct Settlement {
  std::string bidder_id;
  std::string company;
  std::vector<std::string> lot_ids;
  int64_t mass_g = 0;
  int64_t amount_due_minor = 0;
  int64_t deposit_minor = 0;
  SettlementStatus status = SettlementStatus::kUnspecified;
  absl::CivilDay payment_due;
  absl::CivilDay pickup_due;
  int64_t paid_minor = 0;
  std::string no_resale_commitment;
  friend bool operator==(const Settlement&, const Settlement&) = default;
};

struct AuctionResult {
  std::string auction_id;
  std::vector<Award> awards;
  std::vector<std::string> unsold_lot_ids;
  std::vector<Settlement> settlements;  // as written at clearing (see the settlement records)
  int64_t sold_mass_g = 0;
  int64_t proceeds_minor = 0;
  uint64_t cleared_seq = 0;  // not stored: the record's version
  friend bool operator==(const AuctionResult&, const AuctionResult&) = default;
};

// JSON encodings (the stored form). Decode returns DATA_LOSS for a malformed document.
std::string EncodeMarketPoint(const MarketPoint& v);
std::string EncodeTarget(const Target& v);
std::string EncodeAnnualCeiling(const AnnualCeiling& v);
std::string EncodeBudget(const Budget& v);
std::string EncodeApprovalPolicy(const ApprovalPolicy& v);
std::string EncodeProposal(const Proposal& v);
std::string EncodeOrder(const Order& v);
std::string EncodeAuction(const Auction& v);
std::string EncodeBidder(const Bidder& v);
std::string EncodeBid(const Bid& v);
std::string EncodeAuctionResult(const AuctionResult& v);
std::string EncodeSettlement(const Settlement& v);
absl::StatusOr<MarketPoint> DecodeMarketPoint(absl::string_view json);
absl::StatusOr<Target> DecodeTarget(absl::string_view json);
absl::StatusOr<AnnualCeiling> DecodeAnnualCeiling(absl::string_view json);
absl::StatusOr<Budget> DecodeBudget(absl::string_view json);
absl::StatusOr<ApprovalPolicy> DecodeApprovalPolicy(absl::string_view json);
absl::StatusOr<Proposal> DecodeProposal(absl::string_view json);
absl::StatusOr<Order> DecodeOrder(absl::string_view json);
absl::StatusOr<Auction> DecodeAuction(absl::string_view json);
absl::StatusOr<Bidder> DecodeBidder(absl::string_view json);
absl::StatusOr<Bid> DecodeBid(absl::string_view json);
absl::StatusOr<AuctionResult> DecodeAuctionResult(absl::string_view json);
absl::StatusOr<Settlement> DecodeSettlement(absl::string_view json);

}  // namespace reserve::decision

#endif  // RESERVE_SERVICES_DECISION_MODEL_H_
