// Release auctions as China's 2021 releases of copper, aluminium and zinc ran (issue 5):
// an auction executes an approved release order; its lots are earmarked (lot status
// "earmarked" with an encumbrance naming the auction, written with compare-and-set, so
// inventory refuses to release or move them); manufacturers registered before a cut-off date
// register as bidders, one company per corporate group, paying a deposit and committing not
// to resell; bids per lot at or above the reserve price within the bidding window (one
// standing bid per bidder and lot; a new one must be higher); clearing by price, then time
// (the engine, engine/auction.h) under a per-bidder cap in tonnes; awards with payment and
// pick-up deadlines; delivery releases the lots through inventory (lifting the earmark in the
// same transaction); unsold and forfeited lots return to stock and their quantity to the
// order and the disposal ceiling; results are recomputed from the journal by Verify().
//
// Time: the bidding window and the deadlines follow the wall clock (`clock`), not the
// client's business date; bids are ordered by their journal sequence number.
//
// Thread safety: all methods may be called concurrently.
#ifndef RESERVE_SERVICES_DECISION_AUCTIONS_H_
#define RESERVE_SERVICES_DECISION_AUCTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/decision/model.h"
#include "services/decision/mutation.h"
#include "services/decision/orders.h"
#include "services/inventory/inventory.h"
#include "storage/ledger.h"

namespace reserve::decision {

// Limits. One clearing transaction writes every lot, settlement and refund, so these keep it
// within the ledger's limits (4,096 postings and writes, 64 KiB per record).
inline constexpr size_t kMaxLotsPerAuction = 300;      // 2021's auctions had ~100-200 lots
inline constexpr size_t kMaxBiddersPerAuction = 2500;  // one refund posting each at clearing
inline constexpr size_t kMaxBidsPerAuction = kMaxLotsPerAuction * kMaxBiddersPerAuction;
inline constexpr int32_t kMaxSettlementDays = 365;  // payment and pick-up periods
// Journal entries Verify() reads between an auction's creation and its close.
inline constexpr uint64_t kMaxJournalEntriesPerVerify = 5'000'000;
// The text every buyer commits to (stored in its settlement).
inline constexpr absl::string_view kNoResaleCommitment =
    "The buyer uses the metal in its own production and does not resell it.";

using Clock = std::function<absl::Time()>;

struct AuctionPage {
  std::vector<Auction> auctions;
  std::string next_page_token;
};

struct BidderPage {
  std::vector<Bidder> bidders;
  std::string next_page_token;
};

// The stored result with the settlements as they stand now and the lots already delivered.
struct AuctionResultView {
  AuctionResult result;
  std::map<std::string, std::vector<std::string>> delivered;  // bidder -> lot ids
};

struct Verification {
  bool matches = false;
  AuctionResult recomputed;
  uint64_t journal_entries_read = 0;
  std::string difference;
};

struct Delivery {
  inventory::ReleaseResult released;
  bool late = false;
};

class Auctions {
 public:
  // `order_book`, `inventory` and `ledger` must outlive this object; `clock` gives "now".
  Auctions(ledger::Ledger& ledger, OrderBook& order_book, inventory::Inventory& inventory,
           Clock clock)
      : ledger_(ledger), order_book_(order_book), inventory_(inventory), clock_(std::move(clock)) {}
  Auctions(const Auctions&) = delete;
  Auctions& operator=(const Auctions&) = delete;

  // Earmarks the lots (in stock, unencumbered, of the order's metal, reserve price at least
  // the order's floor) and consumes the order's quantity and the disposal ceiling of the
  // business date's year, in one transaction.
  absl::StatusOr<Mutation<Auction>> Create(const Context& ctx, const Auction& draft);
  absl::StatusOr<Auction> Get(absl::string_view id);
  absl::StatusOr<AuctionPage> List(size_t page_size, const std::string& page_token);

  // Eligibility: NOT_MANUFACTURER, REGISTERED_AFTER_CUTOFF, GROUP_ALREADY_REGISTERED,
  // DEPOSIT_INSUFFICIENT, NO_RESALE_COMMITMENT_REQUIRED; BIDDING_CLOSED after the window.
  absl::StatusOr<Mutation<Bidder>> Register(const Context& ctx, absl::string_view auction_id,
                                            const Bidder& bidder);
  absl::StatusOr<BidderPage> ListBidders(absl::string_view auction_id, size_t page_size,
                                         const std::string& page_token);

  // BIDDING_NOT_OPEN / BIDDING_CLOSED outside the window; LOT_NOT_IN_AUCTION; BELOW_RESERVE;
  // BID_NOT_HIGHER for a bid not above the bidder's standing bid on the lot; NOT_FOUND
  // UNKNOWN_BIDDER for an unregistered bidder.
  absl::StatusOr<Mutation<Bid>> PlaceBid(const Context& ctx, const Bid& bid);

  // After the window: closes bidding (its own transaction, so every bid is final), clears,
  // and records the result in one transaction. BIDDING_STILL_OPEN before the window ends.
  absl::StatusOr<Mutation<AuctionResult>> Clear(const Context& ctx, absl::string_view auction_id);
  absl::StatusOr<AuctionResultView> GetResult(absl::string_view auction_id);
  // Re-reads the auction, registrations and bids from the journal (up to the close), clears
  // again and compares with the stored result.
  absl::StatusOr<Verification> Verify(absl::string_view auction_id);

  // `amount_minor` must be the amount due less the deposit (PAYMENT_AMOUNT), before the
  // payment deadline (PAYMENT_OVERDUE).
  absl::StatusOr<Mutation<Settlement>> RecordPayment(const Context& ctx,
                                                     absl::string_view auction_id,
                                                     absl::string_view bidder_id,
                                                     int64_t amount_minor);
  // After the payment deadline (PAYMENT_NOT_OVERDUE before): keeps the deposit, returns the
  // lots to stock and their quantity to the order and ceiling.
  absl::StatusOr<Mutation<Settlement>> Forfeit(const Context& ctx, absl::string_view auction_id,
                                               absl::string_view bidder_id);
  // Releases a paid buyer's lots (all, or `lot_ids`) through inventory. NOT_PAID before the
  // payment; NO_AWARD for a lot not awarded to the bidder.
  absl::StatusOr<Mutation<Delivery>> Deliver(const Context& ctx, absl::string_view auction_id,
                                             absl::string_view bidder_id,
                                             const std::vector<std::string>& lot_ids);

 private:
  absl::CivilDay Today() const;
  // Sets each auction's `bidders` from its slot account (registrations so far).
  absl::Status FillBidderCounts(std::vector<Auction>& auctions);

  ledger::Ledger& ledger_;
  OrderBook& order_book_;
  inventory::Inventory& inventory_;
  const Clock clock_;
};

}  // namespace reserve::decision

#endif  // RESERVE_SERVICES_DECISION_AUCTIONS_H_
