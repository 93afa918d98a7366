#include "services/decision/engine/auction.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "services/decision/engine/internal.h"
#include "services/decision/engine/rules.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {

namespace {

using internal::CheckRange;
using internal::IsPrintableId;
using internal::Money;
using internal::PricePerT;

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}
std::string DayText(absl::CivilDay d) { return absl::FormatCivilTime(d); }

absl::Status CheckId(const std::string& field, absl::string_view id) {
  if (!IsPrintableId(id, kMaxAuctionIdLength)) {
    return InvalidField(field, absl::StrCat("must be 1..", kMaxAuctionIdLength,
                                            " printable ASCII characters without spaces"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRules(const AuctionRules& rules) {
  if (absl::Status s = CheckRange("rules.deposit_required_minor", rules.deposit_required_minor, 0,
                                  kMaxMoneyMinor);
      !s.ok()) {
    return s;
  }
  if (!(rules.bidding_opens_at < rules.bidding_closes_at)) {
    return InvalidField("rules.bidding_closes_at", "must be after bidding_opens_at");
  }
  if (absl::Status s = CheckRange("rules.bidder_cap_g", rules.bidder_cap_g, 1, kMaxMassG);
      !s.ok()) {
    return s;
  }
  if (rules.currency.size() != 3 || !std::all_of(rules.currency.begin(), rules.currency.end(),
                                                 [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return InvalidField("rules.currency", "must be an ISO 4217 code of three letters A-Z");
  }
  return absl::OkStatus();
}

absl::Status ValidateLots(const std::vector<AuctionLot>& lots) {
  if (lots.empty()) {
    return InvalidField("lots", "an auction needs at least one lot");
  }
  if (lots.size() > kMaxAuctionLots) {
    return internal::TooMany("lots", lots.size(), kMaxAuctionLots);
  }
  absl::flat_hash_set<absl::string_view> ids;
  for (size_t i = 0; i < lots.size(); ++i) {
    const std::string at = absl::StrCat("lots[", i, "]");
    const AuctionLot& lot = lots[i];
    if (absl::Status s = CheckId(at + ".lot_id", lot.lot_id); !s.ok()) {
      return s;
    }
    if (!ids.insert(lot.lot_id).second) {
      return InvalidField(at + ".lot_id", absl::StrCat("duplicate lot ", lot.lot_id));
    }
    if (!internal::IsMetalCode(lot.metal)) {
      return InvalidField(at + ".metal", "must be 1..16 characters of A-Z, 0-9, '-', '_'");
    }
    if (absl::Status s = CheckRange(at + ".mass_g", lot.mass_g, 1, kMaxAuctionLotMassG); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckRange(at + ".reserve_price_minor_per_t",
                                    lot.reserve_price_minor_per_t, 1, kMaxPriceMinorPerT);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBidders(const std::vector<Bidder>& bidders) {
  if (bidders.size() > kMaxAuctionBidders) {
    return internal::TooMany("bidders", bidders.size(), kMaxAuctionBidders);
  }
  absl::flat_hash_set<absl::string_view> ids;
  for (size_t i = 0; i < bidders.size(); ++i) {
    const std::string at = absl::StrCat("bidders[", i, "]");
    const Bidder& b = bidders[i];
    if (absl::Status s = CheckId(at + ".bidder_id", b.bidder_id); !s.ok()) {
      return s;
    }
    if (!ids.insert(b.bidder_id).second) {
      return InvalidField(at + ".bidder_id", absl::StrCat("duplicate bidder ", b.bidder_id));
    }
    if (absl::Status s = CheckId(at + ".corporate_group", b.corporate_group); !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckRange(at + ".deposit_paid_minor", b.deposit_paid_minor, 0, kMaxMoneyMinor);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBids(const std::vector<AuctionLot>& lots, const std::vector<Bid>& bids) {
  if (bids.size() > kMaxAuctionBids) {
    return internal::TooMany("bids", bids.size(), kMaxAuctionBids);
  }
  absl::flat_hash_set<absl::string_view> ids;
  absl::flat_hash_set<int64_t> sequences;
  absl::flat_hash_map<absl::string_view, int64_t> top_price;  // lot id -> highest bid price
  for (size_t i = 0; i < bids.size(); ++i) {
    const std::string at = absl::StrCat("bids[", i, "]");
    const Bid& bid = bids[i];
    if (absl::Status s = CheckId(at + ".bid_id", bid.bid_id); !s.ok()) {
      return s;
    }
    if (!ids.insert(bid.bid_id).second) {
      return InvalidField(at + ".bid_id", absl::StrCat("duplicate bid ", bid.bid_id));
    }
    if (absl::Status s = CheckId(at + ".bidder_id", bid.bidder_id); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckId(at + ".lot_id", bid.lot_id); !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckRange(at + ".price_minor_per_t", bid.price_minor_per_t, 1, kMaxPriceMinorPerT);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckRange(at + ".sequence", bid.sequence, 0, INT64_MAX); !s.ok()) {
      return s;
    }
    if (!sequences.insert(bid.sequence).second) {
      return InvalidField(at + ".sequence", absl::StrCat("duplicate sequence ", bid.sequence));
    }
    int64_t& top = top_price[bid.lot_id];
    top = std::max(top, bid.price_minor_per_t);
  }
  // Every amount the clearing can produce is at most its lot's amount at the top bid.
  int64_t bound = 0;
  for (const AuctionLot& lot : lots) {
    auto it = top_price.find(lot.lot_id);
    if (it == top_price.end()) {
      continue;
    }
    std::optional<int64_t> amount = ValueOfMass(lot.mass_g, it->second);
    std::optional<int64_t> sum = amount ? CheckedAdd(bound, *amount) : std::nullopt;
    if (!sum) {
      return InvalidField("bids", "the amounts at the highest bids would overflow");
    }
    bound = *sum;
  }
  return absl::OkStatus();
}

// Ranking of valid bids on one lot: price desc, placed_at asc, sequence asc.
bool Ranks(const Bid& a, const Bid& b) {
  if (a.price_minor_per_t != b.price_minor_per_t) {
    return a.price_minor_per_t > b.price_minor_per_t;
  }
  if (a.placed_at != b.placed_at) {
    return a.placed_at < b.placed_at;
  }
  return a.sequence < b.sequence;
}

// Step 1: each bidder's ineligibility (kUnspecified = eligible), with a message.
struct Eligibility {
  std::vector<Ineligibility> reason;
  std::vector<std::string> message;
};

Eligibility DecideEligibility(const AuctionRules& rules, const std::vector<Bidder>& bidders) {
  Eligibility e;
  e.reason.assign(bidders.size(), Ineligibility::kUnspecified);
  e.message.assign(bidders.size(), std::string());
  // corporate group -> the group's bidder (index) among those passing the first checks.
  absl::flat_hash_map<absl::string_view, size_t> group_bidder;
  for (size_t i = 0; i < bidders.size(); ++i) {
    const Bidder& b = bidders[i];
    if (rules.require_manufacturer && !b.manufacturer) {
      e.reason[i] = Ineligibility::kNotManufacturer;
      e.message[i] = absl::StrCat(b.bidder_id, " is not a manufacturer");
    } else if (!(b.registered_on < rules.registration_cutoff)) {
      e.reason[i] = Ineligibility::kRegisteredAfterCutoff;
      e.message[i] = absl::StrCat(b.bidder_id, " registered on ", DayText(b.registered_on),
                                  ", not before the cut-off ", DayText(rules.registration_cutoff));
    } else if (b.deposit_paid_minor < rules.deposit_required_minor) {
      e.reason[i] = Ineligibility::kDepositNotPaid;
      e.message[i] = absl::StrCat(b.bidder_id, " paid a deposit of ",
                                  Money(b.deposit_paid_minor, rules.currency), ", less than the ",
                                  Money(rules.deposit_required_minor, rules.currency), " required");
    } else {
      auto [it, inserted] = group_bidder.try_emplace(b.corporate_group, i);
      if (!inserted) {
        const Bidder& held = bidders[it->second];
        const bool earlier =
            b.registered_on < held.registered_on ||
            (b.registered_on == held.registered_on && b.bidder_id < held.bidder_id);
        if (earlier) {
          it->second = i;
        }
      }
    }
  }
  for (size_t i = 0; i < bidders.size(); ++i) {
    if (e.reason[i] != Ineligibility::kUnspecified) {
      continue;
    }
    const size_t chosen = group_bidder.at(bidders[i].corporate_group);
    if (chosen != i) {
      const Bidder& c = bidders[chosen];
      e.reason[i] = Ineligibility::kGroupDuplicate;
      e.message[i] = absl::StrCat("group ", bidders[i].corporate_group, " already bids through ",
                                  c.bidder_id, " (registered ", DayText(c.registered_on), ")");
    }
  }
  return e;
}

}  // namespace

absl::string_view IneligibilityName(Ineligibility reason) {
  switch (reason) {
    case Ineligibility::kNotManufacturer:
      return "NOT_MANUFACTURER";
    case Ineligibility::kRegisteredAfterCutoff:
      return "REGISTERED_AFTER_CUTOFF";
    case Ineligibility::kDepositNotPaid:
      return "DEPOSIT_NOT_PAID";
    case Ineligibility::kGroupDuplicate:
      return "GROUP_DUPLICATE";
    case Ineligibility::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

absl::string_view BidRejectionName(BidRejection reason) {
  switch (reason) {
    case BidRejection::kUnknownLot:
      return "UNKNOWN_LOT";
    case BidRejection::kUnknownBidder:
      return "UNKNOWN_BIDDER";
    case BidRejection::kBidderIneligible:
      return "BIDDER_INELIGIBLE";
    case BidRejection::kOutsideWindow:
      return "OUTSIDE_WINDOW";
    case BidRejection::kBelowReserve:
      return "BELOW_RESERVE";
    case BidRejection::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

absl::string_view UnsoldReasonName(UnsoldReason reason) {
  switch (reason) {
    case UnsoldReason::kNoValidBid:
      return "NO_VALID_BID";
    case UnsoldReason::kAllBiddersAtCap:
      return "ALL_BIDDERS_AT_CAP";
    case UnsoldReason::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

absl::Status ValidateAuction(const AuctionRules& rules, const std::vector<AuctionLot>& lots,
                             const std::vector<Bidder>& bidders, const std::vector<Bid>& bids) {
  if (absl::Status s = ValidateRules(rules); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateLots(lots); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateBidders(bidders); !s.ok()) {
    return s;
  }
  return ValidateBids(lots, bids);
}

absl::StatusOr<AuctionResult> ClearAuction(const AuctionRules& rules,
                                           const std::vector<AuctionLot>& lots,
                                           const std::vector<Bidder>& bidders,
                                           const std::vector<Bid>& bids) {
  if (absl::Status s = ValidateAuction(rules, lots, bidders, bids); !s.ok()) {
    return s;
  }
  AuctionResult out;

  // Step 1: bidders.
  const Eligibility eligibility = DecideEligibility(rules, bidders);
  absl::flat_hash_map<absl::string_view, size_t> bidder_index;
  bidder_index.reserve(bidders.size());
  for (size_t i = 0; i < bidders.size(); ++i) {
    bidder_index.emplace(bidders[i].bidder_id, i);
    if (eligibility.reason[i] != Ineligibility::kUnspecified) {
      out.ineligible.push_back(
          {bidders[i].bidder_id, eligibility.reason[i], eligibility.message[i]});
    }
  }
  std::sort(out.ineligible.begin(), out.ineligible.end(),
            [](const IneligibleBidder& a, const IneligibleBidder& b) {
              return a.bidder_id < b.bidder_id;
            });

  // Step 2: bids. Valid ones are filed under their lot.
  absl::flat_hash_map<absl::string_view, size_t> lot_index;
  lot_index.reserve(lots.size());
  for (size_t i = 0; i < lots.size(); ++i) {
    lot_index.emplace(lots[i].lot_id, i);
  }
  std::vector<std::vector<size_t>> lot_bids(lots.size());
  for (size_t i = 0; i < bids.size(); ++i) {
    const Bid& bid = bids[i];
    auto lot_it = lot_index.find(bid.lot_id);
    auto bidder_it = bidder_index.find(bid.bidder_id);
    RejectedBid rejected{bid.bid_id, BidRejection::kUnspecified, ""};
    if (lot_it == lot_index.end()) {
      rejected.reason = BidRejection::kUnknownLot;
      rejected.message = absl::StrCat("no lot ", bid.lot_id, " in this auction");
    } else if (bidder_it == bidder_index.end()) {
      rejected.reason = BidRejection::kUnknownBidder;
      rejected.message = absl::StrCat("no registered bidder ", bid.bidder_id);
    } else if (eligibility.reason[bidder_it->second] != Ineligibility::kUnspecified) {
      rejected.reason = BidRejection::kBidderIneligible;
      rejected.message = absl::StrCat("bidder is ineligible (",
                                      IneligibilityName(eligibility.reason[bidder_it->second]),
                                      "): ", eligibility.message[bidder_it->second]);
    } else if (bid.placed_at < rules.bidding_opens_at ||
               !(bid.placed_at < rules.bidding_closes_at)) {
      rejected.reason = BidRejection::kOutsideWindow;
      rejected.message = absl::StrCat("placed at ", TimeText(bid.placed_at),
                                      ", outside the window [", TimeText(rules.bidding_opens_at),
                                      ", ", TimeText(rules.bidding_closes_at), ")");
    } else if (bid.price_minor_per_t < lots[lot_it->second].reserve_price_minor_per_t) {
      rejected.reason = BidRejection::kBelowReserve;
      rejected.message = absl::StrCat(
          "price ", PricePerT(bid.price_minor_per_t, rules.currency), " is below the reserve ",
          PricePerT(lots[lot_it->second].reserve_price_minor_per_t, rules.currency));
    } else {
      lot_bids[lot_it->second].push_back(i);
      continue;
    }
    out.rejected.push_back(std::move(rejected));
  }
  // Sequence order (validation made sequences distinct). Stable for equal input anyway.
  absl::flat_hash_map<absl::string_view, int64_t> sequence_of;
  sequence_of.reserve(bids.size());
  for (const Bid& bid : bids) {
    sequence_of.emplace(bid.bid_id, bid.sequence);
  }
  std::sort(out.rejected.begin(), out.rejected.end(),
            [&](const RejectedBid& a, const RejectedBid& b) {
              return sequence_of.at(a.bid_id) < sequence_of.at(b.bid_id);
            });

  // Step 3: lots in id order, each to its best bid whose bidder still has room.
  std::vector<size_t> lot_order(lots.size());
  std::iota(lot_order.begin(), lot_order.end(), 0);
  std::sort(lot_order.begin(), lot_order.end(),
            [&](size_t a, size_t b) { return lots[a].lot_id < lots[b].lot_id; });
  std::vector<int64_t> awarded_g(bidders.size(), 0);
  std::vector<int64_t> amount_minor(bidders.size(), 0);
  for (size_t li : lot_order) {
    const AuctionLot& lot = lots[li];
    std::vector<size_t>& ranked = lot_bids[li];
    std::sort(ranked.begin(), ranked.end(),
              [&](size_t a, size_t b) { return Ranks(bids[a], bids[b]); });
    std::optional<size_t> winner;
    for (size_t bi : ranked) {
      const size_t who = bidder_index.at(bids[bi].bidder_id);
      if (awarded_g[who] + lot.mass_g <= rules.bidder_cap_g) {
        winner = bi;
        break;
      }
      out.capped_bids.push_back({bids[bi].bid_id, lot.lot_id, bids[bi].bidder_id, awarded_g[who]});
    }
    if (!winner) {
      out.unsold.push_back({lot.lot_id, ranked.empty() ? UnsoldReason::kNoValidBid
                                                       : UnsoldReason::kAllBiddersAtCap});
      continue;
    }
    const Bid& bid = bids[*winner];
    const size_t who = bidder_index.at(bid.bidder_id);
    // Step 4. Validation bounded every amount and their sum, so these cannot overflow.
    const int64_t amount = *ValueOfMass(lot.mass_g, bid.price_minor_per_t);
    out.awards.push_back({lot.lot_id, lot.metal, bid.bidder_id, bid.bid_id, lot.mass_g,
                          bid.price_minor_per_t, amount});
    awarded_g[who] += lot.mass_g;
    amount_minor[who] += amount;
    out.total_awarded_g += lot.mass_g;
    out.total_amount_minor += amount;
  }
  for (size_t i = 0; i < bidders.size(); ++i) {
    if (awarded_g[i] > 0) {
      out.bidder_totals.push_back({bidders[i].bidder_id, awarded_g[i], amount_minor[i]});
    }
  }
  std::sort(out.bidder_totals.begin(), out.bidder_totals.end(),
            [](const BidderTotal& a, const BidderTotal& b) { return a.bidder_id < b.bidder_id; });
  return out;
}

}  // namespace reserve::decision::engine
