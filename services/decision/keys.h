// Ledger keys and account ids of the decision service: an on-disk contract (README.md,
// "Ledger mapping"). Never rename one. Ids inside keys are checked (CheckId / CheckMetalCode)
// before they get here, so none contains '/'.
#ifndef RESERVE_SERVICES_DECISION_KEYS_H_
#define RESERVE_SERVICES_DECISION_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/decision/model.h"
#include "services/domain/dates.h"
#include "services/inventory/model.h"

namespace reserve::decision::keys {

// ---- Records ----
inline std::string MarketPrefix(MarketSeries s, absl::string_view metal) {
  return absl::StrCat("decision/market/", MarketSeriesName(s), "/", metal, "/");
}
inline std::string MarketPointKey(const MarketPoint& p) {
  return absl::StrCat(MarketPrefix(p.series, p.metal), domain::FormatDate(p.date));
}
inline constexpr absl::string_view kTargetPrefix = "decision/target/";
inline std::string TargetKey(absl::string_view metal) { return absl::StrCat(kTargetPrefix, metal); }
inline constexpr absl::string_view kCeilingPrefix = "decision/ceiling/";
inline std::string CeilingKey(absl::string_view metal, int64_t year) {
  return absl::StrFormat("decision/ceiling/%s/%04d", metal, year);
}
inline std::string BudgetKey(int64_t year) { return absl::StrFormat("decision/budget/%04d", year); }
inline constexpr absl::string_view kPolicyKey = "decision/policy";
inline constexpr absl::string_view kProposalPrefix = "decision/proposal/";
inline std::string ProposalKey(absl::string_view id) { return absl::StrCat(kProposalPrefix, id); }
inline constexpr absl::string_view kOrderPrefix = "decision/order/";
inline std::string OrderKey(absl::string_view id) { return absl::StrCat(kOrderPrefix, id); }
inline constexpr absl::string_view kAuctionPrefix = "decision/auction/";
inline std::string AuctionKey(absl::string_view id) { return absl::StrCat(kAuctionPrefix, id); }
// Written at creation and at the close of bidding only: bids and registrations check it, so
// none can commit after the close.
inline std::string GateKey(absl::string_view auction) {
  return absl::StrCat("decision/auction-gate/", auction);
}
inline std::string BidderPrefix(absl::string_view auction) {
  return absl::StrCat("decision/bidder/", auction, "/");
}
inline std::string BidderKey(absl::string_view auction, absl::string_view bidder) {
  return absl::StrCat(BidderPrefix(auction), bidder);
}
inline std::string GroupKey(absl::string_view auction, absl::string_view group) {
  return absl::StrCat("decision/group/", auction, "/", group);
}
inline std::string BidPrefix(absl::string_view auction) {
  return absl::StrCat("decision/bid/", auction, "/");
}
inline std::string BidKey(absl::string_view auction, absl::string_view bidder,
                          absl::string_view lot) {
  return absl::StrCat(BidPrefix(auction), bidder, "/", lot);
}
inline std::string ResultKey(absl::string_view auction) {
  return absl::StrCat("decision/result/", auction);
}
inline std::string SettlementPrefix(absl::string_view auction) {
  return absl::StrCat("decision/settlement/", auction, "/");
}
inline std::string SettlementKey(absl::string_view auction, absl::string_view bidder) {
  return absl::StrCat(SettlementPrefix(auction), bidder);
}
// Inventory's records this service reads (and, for earmarks, writes with CAS).
inline std::string LotKey(absl::string_view lot) { return absl::StrCat("lot/", lot); }
inline std::string PricePrefix(absl::string_view metal) {
  return absl::StrCat("price/", metal, "/");
}
// Inventory's guarded free-space account of a depot (read by the optimiser).
inline std::string CapacityAccount(absl::string_view metal, absl::string_view depot) {
  return absl::StrCat("capacity/", metal, "/", depot);
}

// ---- Accounts (G: guarded, never negative) ----
inline std::string MassUnit(absl::string_view metal) { return absl::StrCat("g:", metal); }
// G: acquisitions (disposals) of `metal` still allowed in `year`.
inline std::string CeilingAccount(absl::string_view metal, int64_t year, Direction d) {
  return absl::StrFormat("decision/ceiling/%s/%04d/%s", metal, year,
                         d == Direction::kAcquire ? "acquire" : "dispose");
}
inline std::string CeilingUsedAccount(absl::string_view metal, int64_t year, Direction d) {
  return absl::StrFormat("decision/ceiling-used/%s/%04d/%s", metal, year,
                         d == Direction::kAcquire ? "acquire" : "dispose");
}
inline std::string CeilingPlanAccount(absl::string_view metal) {
  return absl::StrCat("decision/ceiling-plan/", metal);
}
// G: the year's purchase budget not yet committed to an order.
inline std::string BudgetAccount(absl::string_view currency, int64_t year) {
  return absl::StrFormat("decision/budget/%s/%04d", currency, year);
}
inline std::string AppropriationAccount(absl::string_view currency, int64_t year) {
  return absl::StrFormat("decision/appropriation/%s/%04d", currency, year);
}
inline std::string BudgetSpentAccount(absl::string_view currency, int64_t year) {
  return absl::StrFormat("decision/spent/%s/%04d", currency, year);
}
// G: what the metal's price-band fund may still commit.
inline std::string BandFundAccount(absl::string_view currency, absl::string_view metal) {
  return absl::StrCat("decision/band-fund/", currency, "/", metal);
}
inline std::string BandLimitAccount(absl::string_view currency, absl::string_view metal) {
  return absl::StrCat("decision/band-limit/", currency, "/", metal);
}
inline std::string BandSpentAccount(absl::string_view currency, absl::string_view metal) {
  return absl::StrCat("decision/band-spent/", currency, "/", metal);
}
// G: an order's remaining quantity (grams of its metal) and money.
inline std::string OrderQuantityAccount(absl::string_view order) {
  return absl::StrCat("decision/order/", order, "/quantity");
}
inline std::string OrderMoneyAccount(absl::string_view order) {
  return absl::StrCat("decision/order/", order, "/money");
}
inline std::string AuthorisedAccount(absl::string_view metal) {
  return absl::StrCat("decision/authorised/", metal);
}
inline std::string ExecutedAccount(absl::string_view metal) {
  return absl::StrCat("decision/executed/", metal);
}
// G: a bidder's deposit held for an auction.
inline std::string DepositAccount(absl::string_view auction, absl::string_view bidder) {
  return absl::StrCat("decision/deposit/", auction, "/", bidder);
}
inline std::string ProceedsAccount(absl::string_view auction) {
  return absl::StrCat("decision/proceeds/", auction);
}
// G: registrations an auction may still take (unit "slot"), so that the bidder limit holds
// under concurrent registrations without serialising them on the auction record.
inline constexpr absl::string_view kSlotUnit = "slot";
inline std::string SlotAccount(absl::string_view auction) {
  return absl::StrCat("decision/bidder-slots/", auction);
}
inline constexpr absl::string_view kSlotPoolAccount = "decision/bidder-slot-pool";
// Money received from and repaid to bidders (the counterpart outside the reserve).
inline std::string BiddersAccount(absl::string_view currency) {
  return absl::StrCat("decision/bidders/", currency);
}

// The prefix of this service's ledger request ids for deliveries it asks inventory to make.
inline std::string DeliveryRequestId(absl::string_view request_id) {
  return absl::StrCat("auction-delivery/", request_id);
}

}  // namespace reserve::decision::keys

#endif  // RESERVE_SERVICES_DECISION_KEYS_H_
