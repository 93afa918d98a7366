// Orders: what an approved proposal authorises, and how executing one is made atomic with
// the inventory movement (DESIGN.md section 5: "acquisitions and releases executed against an
// approved order can never exceed the order's quantity, price limit or budget; the ceiling
// per metal per year is enforced the same way").
//
// Every limit is a guarded (non-negative) ledger account, so the ledger itself refuses an
// overdraw atomically, however many requests race:
//   decision/order/<id>/quantity       grams the order may still move
//   decision/order/<id>/money          money the order may still spend (acquisitions)
//   decision/ceiling/<M>/<Y>/<dir>     the metal's acquisitions/disposals left in year Y
//   decision/budget/<CUR>/<Y>          the year's budget not yet committed to an order
//   decision/band-fund/<CUR>/<M>       the price-band fund not yet committed
// Approval moves money from the budget (or band fund) into the order; execution moves it out
// of the order; closing returns what is left. The order record (metal, direction, price
// limit, period, status) is checked at the version read (RecordCheck), so an execution cannot
// commit across a concurrent close; executions do not write the order record, so they never
// conflict with each other.
//
// Thread safety: all methods may be called concurrently.
#ifndef RESERVE_SERVICES_DECISION_ORDERS_H_
#define RESERVE_SERVICES_DECISION_ORDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/decision/model.h"
#include "services/decision/mutation.h"
#include "services/inventory/inventory.h"
#include "storage/ledger.h"

namespace reserve::decision {

// Business rejection reasons of the decision service (FAILED_PRECONDITION unless noted).
// Part of the API: never rename one.
namespace decision_reason {
inline constexpr absl::string_view kUnknownOrder = "UNKNOWN_ORDER";               // NOT_FOUND
inline constexpr absl::string_view kUnknownProposal = "UNKNOWN_PROPOSAL";         // NOT_FOUND
inline constexpr absl::string_view kUnknownTarget = "UNKNOWN_TARGET";             // NOT_FOUND
inline constexpr absl::string_view kUnknownBudget = "UNKNOWN_BUDGET";             // NOT_FOUND
inline constexpr absl::string_view kUnknownAuction = "UNKNOWN_AUCTION";           // NOT_FOUND
inline constexpr absl::string_view kUnknownBidder = "UNKNOWN_BIDDER";             // NOT_FOUND
inline constexpr absl::string_view kUnknownResult = "NOT_CLEARED";                // NOT_FOUND
inline constexpr absl::string_view kUnknownMarketPoint = "UNKNOWN_MARKET_POINT";  // NOT_FOUND
inline constexpr absl::string_view kOrderClosed = "ORDER_CLOSED";
inline constexpr absl::string_view kOrderDirection = "ORDER_DIRECTION";
inline constexpr absl::string_view kOrderMetal = "ORDER_METAL";
inline constexpr absl::string_view kOrderCurrency = "ORDER_CURRENCY";
inline constexpr absl::string_view kOrderPeriod = "ORDER_PERIOD";
inline constexpr absl::string_view kOrderPriceLimit = "ORDER_PRICE_LIMIT";
inline constexpr absl::string_view kOrderQuantity = "ORDER_QUANTITY_EXCEEDED";
inline constexpr absl::string_view kOrderMoney = "ORDER_MONEY_EXCEEDED";
inline constexpr absl::string_view kCeilingNotSet = "CEILING_NOT_SET";
inline constexpr absl::string_view kCeilingExceeded = "CEILING_EXCEEDED";
inline constexpr absl::string_view kCeilingBelowUsed = "CEILING_BELOW_USED";
inline constexpr absl::string_view kBudgetNotSet = "BUDGET_NOT_SET";
inline constexpr absl::string_view kBudgetCurrency = "BUDGET_CURRENCY";
inline constexpr absl::string_view kBudgetExceeded = "BUDGET_EXCEEDED";
inline constexpr absl::string_view kBudgetBelowCommitted = "BUDGET_BELOW_COMMITTED";
inline constexpr absl::string_view kNoPriceBand = "NO_PRICE_BAND";
inline constexpr absl::string_view kBandFundExceeded = "BAND_FUND_EXCEEDED";
inline constexpr absl::string_view kBandBelowCommitted = "BAND_BELOW_COMMITTED";
inline constexpr absl::string_view kSelfApproval = "SELF_APPROVAL";  // PERMISSION_DENIED
inline constexpr absl::string_view kAlreadyApproved = "ALREADY_APPROVED";
inline constexpr absl::string_view kProposalNotPending = "PROPOSAL_NOT_PENDING";
inline constexpr absl::string_view kProposalExpired = "PROPOSAL_EXPIRED";
inline constexpr absl::string_view kProposalExists = "PROPOSAL_EXISTS";
inline constexpr absl::string_view kNothingToPropose = "NOTHING_TO_PROPOSE";
inline constexpr absl::string_view kNoConsumptionData = "NO_CONSUMPTION_DATA";
inline constexpr absl::string_view kNoPriceMark = "NO_PRICE_MARK";
inline constexpr absl::string_view kPriceGap = "PRICE_GAP";
inline constexpr absl::string_view kNoDepotCapacity = "NO_DEPOT_CAPACITY";
inline constexpr absl::string_view kAuctionExists = "AUCTION_EXISTS";
inline constexpr absl::string_view kLotNotAvailable = "LOT_NOT_AVAILABLE";
inline constexpr absl::string_view kReserveBelowFloor = "RESERVE_BELOW_ORDER_FLOOR";
inline constexpr absl::string_view kBiddingNotOpen = "BIDDING_NOT_OPEN";
inline constexpr absl::string_view kBiddingClosed = "BIDDING_CLOSED";
inline constexpr absl::string_view kBiddingStillOpen = "BIDDING_STILL_OPEN";
inline constexpr absl::string_view kNotManufacturer = "NOT_MANUFACTURER";
inline constexpr absl::string_view kRegisteredAfterCutoff = "REGISTERED_AFTER_CUTOFF";
inline constexpr absl::string_view kGroupAlreadyRegistered = "GROUP_ALREADY_REGISTERED";
inline constexpr absl::string_view kBidderExists = "BIDDER_EXISTS";
inline constexpr absl::string_view kDepositInsufficient = "DEPOSIT_INSUFFICIENT";
inline constexpr absl::string_view kNoResaleRequired = "NO_RESALE_COMMITMENT_REQUIRED";
inline constexpr absl::string_view kLotNotInAuction = "LOT_NOT_IN_AUCTION";
inline constexpr absl::string_view kBelowReserve = "BELOW_RESERVE";
inline constexpr absl::string_view kBidNotHigher = "BID_NOT_HIGHER";
inline constexpr absl::string_view kAuctionCleared = "AUCTION_CLEARED";
inline constexpr absl::string_view kNoAward = "NO_AWARD";
inline constexpr absl::string_view kSettlementNotAwarded = "SETTLEMENT_NOT_AWARDED";
inline constexpr absl::string_view kPaymentAmount = "PAYMENT_AMOUNT";
inline constexpr absl::string_view kPaymentOverdue = "PAYMENT_OVERDUE";
inline constexpr absl::string_view kPaymentNotOverdue = "PAYMENT_NOT_OVERDUE";
inline constexpr absl::string_view kNotPaid = "NOT_PAID";
}  // namespace decision_reason

// The order `id`, with its remaining quantity and money read from its accounts.
struct OrderView {
  Order order;
  uint64_t version = 0;
  int64_t remaining_quantity_g = 0;
  int64_t remaining_amount_minor = 0;
};

// Consumes and returns order and ceiling capacity inside a caller's transaction. Used by the
// inventory hook below, by approvals (funding orders) and by auctions (a release order's
// lots are consumed when they are earmarked and returned when they go back to stock).
class OrderBook final : public inventory::OrderHook {
 public:
  explicit OrderBook(ledger::Ledger& ledger) : ledger_(ledger) {}
  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  // inventory::OrderHook: for each order named in `uses` (grouped), checks the order (exists,
  // open, direction, metal, currency, period, average price within the limit) and the
  // balances (NOT_FOUND UNKNOWN_ORDER; FAILED_PRECONDITION ORDER_CLOSED, ORDER_DIRECTION,
  // ORDER_METAL, ORDER_CURRENCY, ORDER_PERIOD, ORDER_PRICE_LIMIT, ORDER_QUANTITY_EXCEEDED,
  // ORDER_MONEY_EXCEEDED, CEILING_NOT_SET, CEILING_EXCEEDED), then adds to `tx` a RecordCheck
  // of the order, and postings that consume its quantity, its money (acquisition cost) and
  // the metal's ceiling for the business date's year. Never commits.
  absl::Status AddToTransaction(absl::Span<const inventory::OrderUse> uses,
                                ledger::Transaction& tx) override;

  absl::StatusOr<OrderView> Get(absl::string_view id);

  // Adds to `b` the postings that consume `mass_g` of release order `order` and of the
  // metal's disposal ceiling for `year` (checks as AddToTransaction, against `date`).
  // Returns the order's version (for a RecordCheck).
  absl::StatusOr<uint64_t> PlanReleaseUse(const std::string& order_id, absl::CivilDay date,
                                          int64_t mass_g, TxBuilder& b);
  // Adds postings that give `mass_g` back to release order `order` (if it is still open;
  // otherwise to the authorised pool) and to the disposal ceiling of `year`. Returns the
  // order as read and its version: the caller must rewrite the order record at that version
  // (a credit must conflict with a concurrent close).
  absl::StatusOr<Loaded<Order>> PlanReleaseReturn(const std::string& order_id, int32_t year,
                                                  int64_t mass_g, TxBuilder& b);

 private:
  ledger::Ledger& ledger_;
};

// Ceiling and budget helpers shared by the services.
// The ceiling record of (metal, year), or nullopt when none was set.
absl::StatusOr<std::optional<Loaded<AnnualCeiling>>> LoadCeiling(ledger::Ledger& ledger,
                                                                 absl::string_view metal,
                                                                 int64_t year);

}  // namespace reserve::decision

#endif  // RESERVE_SERVICES_DECISION_ORDERS_H_
