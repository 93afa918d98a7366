// Release-auction clearing (issue 5), as China's four 2021 releases of copper, aluminium and
// zinc ran: lots of 100-250 t with a reserve price; only manufacturers registered before a
// cut-off date, one company per corporate group, deposit paid before bidding; bids within a
// window; a cap per bidder; highest price wins, earlier bid breaks ties.
//
// Pure computation: the DecisionService feeds it lots, bidders and bids read from the ledger
// and records the result; recomputing from the same inputs gives the same result.
//
// The algorithm (ClearAuction), exactly:
//  1. Eligibility of each bidder, checks in this order (the first failure is the reason):
//     manufacturer flag (if rules.require_manufacturer) -> NOT_MANUFACTURER;
//     registered_on < rules.registration_cutoff (strictly before) -> REGISTERED_AFTER_CUTOFF;
//     deposit_paid_minor >= rules.deposit_required_minor -> DEPOSIT_NOT_PAID.
//     Then one company per corporate group: among the group's bidders that passed the
//     checks above, the one registered earliest (ties: smallest bidder_id, byte order) is the
//     group's bidder; every other one is GROUP_DUPLICATE. An empty corporate_group is not
//     allowed (validation), so a company without a parent names itself.
//  2. Validity of each bid, checks in this order (the first failure is the reason):
//     unknown lot -> UNKNOWN_LOT; unknown bidder -> UNKNOWN_BIDDER; bidder ineligible ->
//     BIDDER_INELIGIBLE (the bidder's reason is in `ineligible`); placed_at outside
//     [bidding_opens_at, bidding_closes_at) -> OUTSIDE_WINDOW; price below the lot's reserve
//     price -> BELOW_RESERVE. Other bids are valid.
//  3. Lots are cleared one at a time in ascending lot_id (byte order), whatever the input
//     order. A lot's valid bids are ranked by price (highest first), then placed_at (earliest
//     first), then sequence (smallest first); sequences are distinct, so the order is total.
//     The lot goes whole to the first ranked bid whose bidder's awarded mass plus the lot's
//     mass stays within rules.bidder_cap_g (lots are never split). Bids passed over because
//     of the cap are listed in `capped_bids`. A lot with no valid bid is unsold
//     (NO_VALID_BID); one whose valid bidders are all at their cap is unsold
//     (ALL_BIDDERS_AT_CAP). Unsold lots return to stock (the service's job).
//  4. Award amount = ValueOfMass(lot mass_g, winning price) (storage/exact.h: rounded half
//     away from zero to a whole minor unit).
// Consequence of 3: a bidder's cap is consumed in lot-id order, so a bidder who is top on
// lots A and B but has room for one wins A (the smaller id) and B goes to its next bid.
//
// Thread safety: pure; may be called concurrently.
#ifndef RESERVE_SERVICES_DECISION_ENGINE_AUCTION_H_
#define RESERVE_SERVICES_DECISION_ENGINE_AUCTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace reserve::decision::engine {

// Limits on one auction (RESOURCE_EXHAUSTED naming the field above them). The largest 2021
// release had ~100 lots and a few hundred bidders; these leave two orders of magnitude.
inline constexpr size_t kMaxAuctionLots = 10'000;
inline constexpr size_t kMaxAuctionBidders = 100'000;
inline constexpr size_t kMaxAuctionBids = 1'000'000;
inline constexpr size_t kMaxAuctionIdLength = 128;  // lot, bidder, bid and group ids
// Largest lot: 10,000 t (the 2021 lots were 100-250 t).
inline constexpr int64_t kMaxAuctionLotMassG = 10'000'000'000;

struct AuctionRules {
  // Manufacturers must have registered strictly before this date.
  absl::CivilDay registration_cutoff;
  bool require_manufacturer = true;
  int64_t deposit_required_minor = 0;  // >= 0
  // Bids count when bidding_opens_at <= placed_at < bidding_closes_at (opens < closes).
  absl::Time bidding_opens_at;
  absl::Time bidding_closes_at;
  // Most mass one bidder may win across all lots of the auction; 1..kMaxMassG.
  int64_t bidder_cap_g = 0;
  // ISO 4217 code, used only in messages (3 letters A-Z).
  std::string currency = "CNY";
};

struct AuctionLot {
  std::string lot_id;                     // distinct
  std::string metal;                      // code, informational (the cap is across metals)
  int64_t mass_g = 0;                     // 1..kMaxAuctionLotMassG
  int64_t reserve_price_minor_per_t = 0;  // 1..kMaxPriceMinorPerT
};

struct Bidder {
  std::string bidder_id;        // distinct
  std::string corporate_group;  // non-empty; a company without a parent names itself
  bool manufacturer = false;
  absl::CivilDay registered_on;
  int64_t deposit_paid_minor = 0;  // >= 0
};

struct Bid {
  std::string bid_id;  // distinct
  std::string bidder_id;
  std::string lot_id;
  int64_t price_minor_per_t = 0;  // 1..kMaxPriceMinorPerT
  absl::Time placed_at;
  int64_t sequence = 0;  // distinct, >= 0: the order bids were received (e.g. journal seq)
};

// Values are part of the API: never renumber.
enum class Ineligibility {
  kUnspecified = 0,
  kNotManufacturer = 1,
  kRegisteredAfterCutoff = 2,
  kDepositNotPaid = 3,
  kGroupDuplicate = 4,
};
enum class BidRejection {
  kUnspecified = 0,
  kUnknownLot = 1,
  kUnknownBidder = 2,
  kBidderIneligible = 3,
  kOutsideWindow = 4,
  kBelowReserve = 5,
};
enum class UnsoldReason { kUnspecified = 0, kNoValidBid = 1, kAllBiddersAtCap = 2 };

// UPPER_SNAKE names, e.g. "GROUP_DUPLICATE", "BELOW_RESERVE", "ALL_BIDDERS_AT_CAP".
absl::string_view IneligibilityName(Ineligibility reason);
absl::string_view BidRejectionName(BidRejection reason);
absl::string_view UnsoldReasonName(UnsoldReason reason);

struct Award {
  std::string lot_id;
  std::string metal;
  std::string bidder_id;
  std::string bid_id;
  int64_t mass_g = 0;
  int64_t price_minor_per_t = 0;
  int64_t amount_minor = 0;  // ValueOfMass(mass_g, price_minor_per_t)
  friend bool operator==(const Award&, const Award&) = default;
};

struct UnsoldLot {
  std::string lot_id;
  UnsoldReason reason = UnsoldReason::kUnspecified;
  friend bool operator==(const UnsoldLot&, const UnsoldLot&) = default;
};

struct IneligibleBidder {
  std::string bidder_id;
  Ineligibility reason = Ineligibility::kUnspecified;
  std::string message;  // for people, with the figures (dates, amounts, the group's bidder)
  friend bool operator==(const IneligibleBidder&, const IneligibleBidder&) = default;
};

struct RejectedBid {
  std::string bid_id;
  BidRejection reason = BidRejection::kUnspecified;
  std::string message;  // for people, e.g. "price 18,000.00/t is below the reserve 18,500.00/t"
  friend bool operator==(const RejectedBid&, const RejectedBid&) = default;
};

// A valid bid that ranked above the winner but whose bidder had no room under the cap.
struct CappedBid {
  std::string bid_id;
  std::string lot_id;
  std::string bidder_id;
  int64_t awarded_before_g = 0;  // the bidder's awarded mass when the lot was cleared
  friend bool operator==(const CappedBid&, const CappedBid&) = default;
};

struct BidderTotal {
  std::string bidder_id;
  int64_t awarded_g = 0;
  int64_t amount_minor = 0;
  friend bool operator==(const BidderTotal&, const BidderTotal&) = default;
};

struct AuctionResult {
  std::vector<Award> awards;                 // lot-id order
  std::vector<UnsoldLot> unsold;             // lot-id order
  std::vector<IneligibleBidder> ineligible;  // bidder-id order
  std::vector<RejectedBid> rejected;         // sequence order
  std::vector<CappedBid> capped_bids;        // lot-id order, then rank
  std::vector<BidderTotal> bidder_totals;    // bidders with awards, bidder-id order
  int64_t total_awarded_g = 0;
  int64_t total_amount_minor = 0;
  friend bool operator==(const AuctionResult&, const AuctionResult&) = default;
};

// INVALID_ARGUMENT naming the field ("bids[12].price_minor_per_t", "lots[3].lot_id",
// "rules.bidding_closes_at", ...) for an empty or over-long id, a duplicate id or sequence, a
// value out of range, or amounts that could overflow (the sum over lots of each lot's
// amount at its highest bid must fit in int64: field "bids"); RESOURCE_EXHAUSTED naming the field
// for more lots, bidders or bids than the k* limits. Bids naming an unknown lot or bidder are
// not invalid input: they are rejected bids (the result says so).
absl::Status ValidateAuction(const AuctionRules& rules, const std::vector<AuctionLot>& lots,
                             const std::vector<Bidder>& bidders, const std::vector<Bid>& bids);

// Clears the auction by the algorithm in the file comment. Fails only as ValidateAuction.
absl::StatusOr<AuctionResult> ClearAuction(const AuctionRules& rules,
                                           const std::vector<AuctionLot>& lots,
                                           const std::vector<Bidder>& bidders,
                                           const std::vector<Bid>& bids);

}  // namespace reserve::decision::engine

#endif  // RESERVE_SERVICES_DECISION_ENGINE_AUCTION_H_
