#include "services/decision/auctions.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/decision/engine/auction.h"
#include "services/decision/engine/rules.h"
#include "services/decision/keys.h"
#include "services/domain/dates.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision {
namespace {

namespace why = decision_reason;
namespace inv_why = inventory::inventory_reason;

constexpr absl::string_view kEarmark = "earmark";
constexpr absl::string_view kEarmarkHolder = "decision:auction";

absl::StatusOr<Loaded<Auction>> LoadAuction(ledger::Ledger& ledger, absl::string_view id,
                                            ledger::ReadOptions options = {}) {
  return Load<Auction>(ledger, keys::AuctionKey(id), why::kUnknownAuction,
                       absl::StrCat("no auction ", id), &DecodeAuction, options);
}

absl::StatusOr<Loaded<inventory::Lot>> LoadLot(ledger::Ledger& ledger, absl::string_view id) {
  return Load<inventory::Lot>(ledger, keys::LotKey(id), inv_why::kUnknownLot,
                              absl::StrCat("no lot ", id), &inventory::DecodeLot);
}

absl::StatusOr<Loaded<Settlement>> LoadSettlement(ledger::Ledger& ledger, absl::string_view auction,
                                                  absl::string_view bidder) {
  return Load<Settlement>(ledger, keys::SettlementKey(auction, bidder), why::kNoAward,
                          absl::StrCat(bidder, " won nothing in auction ", auction),
                          &DecodeSettlement);
}

std::string GateValue(bool open) { return json{{"open", open}}.dump(); }

// The auction's earmark on `lot`, or end().
std::vector<inventory::Encumbrance>::iterator FindEarmark(inventory::Lot& lot,
                                                          absl::string_view auction) {
  return std::find_if(lot.encumbrances.begin(), lot.encumbrances.end(),
                      [&](const inventory::Encumbrance& e) {
                        return e.kind == kEarmark && e.reference == auction;
                      });
}

// Returns `lot` to stock: lifts the auction's earmark (a CAS write at `version`).
absl::Status ReturnToStock(inventory::Lot lot, uint64_t version, absl::string_view auction,
                           ledger::Transaction& tx) {
  auto earmark = FindEarmark(lot, auction);
  if (earmark == lot.encumbrances.end() || lot.status != inventory::LotStatus::kEarmarked) {
    return Precondition(why::kLotNotAvailable,
                        absl::StrCat("lot ", lot.id, " is no longer earmarked for ", auction));
  }
  lot.encumbrances.erase(earmark);
  lot.status = inventory::LotStatus::kInStock;
  tx.writes.push_back(
      ledger::RecordWrite{keys::LotKey(lot.id), version, inventory::EncodeLot(lot), false});
  return absl::OkStatus();
}

// ---- Validation ----

absl::Status CheckAuctionDraft(const Auction& a) {
  if (absl::Status s = CheckId(a.id, "auction.auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(a.title, "auction.title", true); !s.ok()) return s;
  if (absl::Status s = CheckId(a.order_id, "auction.order_id"); !s.ok()) return s;
  if (absl::Status s = CheckCurrency(a.currency, "auction.currency"); !s.ok()) return s;
  if (a.lots.empty()) return InvalidField("auction.lots", "at least one lot");
  if (a.lots.size() > kMaxLotsPerAuction) {
    return InvalidField("auction.lots", absl::StrCat("at most ", kMaxLotsPerAuction, " lots"));
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < a.lots.size(); ++i) {
    std::string f = absl::StrCat("auction.lots[", i, "]");
    if (absl::Status s = CheckId(a.lots[i].lot_id, f + ".lot_id"); !s.ok()) return s;
    if (!ids.insert(a.lots[i].lot_id).second) {
      return InvalidField(f + ".lot_id", "appears twice in the auction");
    }
    if (a.lots[i].reserve_price_minor_per_t <= 0 ||
        a.lots[i].reserve_price_minor_per_t > engine::kMaxPriceMinorPerT) {
      return InvalidField(f + ".reserve_price_minor_per_t", "must be positive");
    }
  }
  if (absl::Status s = CheckDate(a.eligibility_cutoff, "auction.eligibility_cutoff"); !s.ok()) {
    return s;
  }
  if (a.deposit_minor < 0 || a.deposit_minor > engine::kMaxMoneyMinor) {
    return InvalidField("auction.deposit_minor", "0..10^17");
  }
  if (a.bidder_cap_g <= 0 || a.bidder_cap_g > engine::kMaxMassG) {
    return InvalidField("auction.bidder_cap_g", "1..10^14 grams");
  }
  if (a.bidding_opens_at_ms <= 0) {
    return InvalidField("auction.bidding_opens_at_ms", "a Unix time in milliseconds");
  }
  if (a.bidding_closes_at_ms <= a.bidding_opens_at_ms) {
    return InvalidField("auction.bidding_closes_at_ms", "must be after bidding_opens_at_ms");
  }
  if (a.payment_days < 1 || a.payment_days > kMaxSettlementDays) {
    return InvalidField("auction.payment_days", absl::StrCat("1..", kMaxSettlementDays));
  }
  if (a.pickup_days < 1 || a.pickup_days > kMaxSettlementDays) {
    return InvalidField("auction.pickup_days", absl::StrCat("1..", kMaxSettlementDays));
  }
  return absl::OkStatus();
}

absl::Status CheckBidderInput(const Bidder& b) {
  if (absl::Status s = CheckId(b.id, "bidder.bidder_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(b.company, "bidder.company", true); !s.ok()) return s;
  if (absl::Status s = CheckId(b.corporate_group, "bidder.corporate_group_id"); !s.ok()) return s;
  if (absl::Status s = CheckDate(b.company_registered_on, "bidder.company_registered_on");
      !s.ok()) {
    return s;
  }
  if (b.deposit_minor < 0 || b.deposit_minor > engine::kMaxMoneyMinor) {
    return InvalidField("bidder.deposit_minor", "0..10^17");
  }
  return absl::OkStatus();
}

// ---- Clearing inputs, shared by Clear and Verify ----

struct ClearingInput {
  engine::AuctionRules rules;
  std::vector<engine::AuctionLot> lots;
  std::vector<engine::Bidder> bidders;
  std::vector<engine::Bid> bids;
};

std::string BidId(const Bid& b) { return absl::StrCat(b.bidder_id, "/", b.lot_id); }

ClearingInput MakeClearingInput(const Auction& a, const std::vector<Bidder>& bidders,
                                const std::vector<Bid>& bids) {
  ClearingInput in;
  in.rules.registration_cutoff = a.eligibility_cutoff;
  in.rules.require_manufacturer = true;
  in.rules.deposit_required_minor = a.deposit_minor;
  in.rules.bidding_opens_at = absl::FromUnixMillis(a.bidding_opens_at_ms);
  in.rules.bidding_closes_at = absl::FromUnixMillis(a.bidding_closes_at_ms);
  in.rules.bidder_cap_g = a.bidder_cap_g;
  for (const AuctionLot& l : a.lots) {
    in.lots.push_back(engine::AuctionLot{l.lot_id, l.metal, l.mass_g, l.reserve_price_minor_per_t});
  }
  for (const Bidder& b : bidders) {
    in.bidders.push_back(engine::Bidder{b.id, b.corporate_group, b.manufacturer,
                                        b.company_registered_on, b.deposit_minor});
  }
  for (const Bid& b : bids) {
    in.bids.push_back(engine::Bid{BidId(b), b.bidder_id, b.lot_id, b.price_minor_per_t,
                                  absl::FromUnixMillis(b.placed_at_ms),
                                  static_cast<int64_t>(b.seq)});
  }
  return in;
}

absl::StatusOr<AuctionResult> RunClearing(const Auction& a, const std::vector<Bidder>& bidders,
                                          const std::vector<Bid>& bids) {
  ClearingInput in = MakeClearingInput(a, bidders, bids);
  absl::StatusOr<engine::AuctionResult> cleared =
      engine::ClearAuction(in.rules, in.lots, in.bidders, in.bids);
  if (!cleared.ok()) return cleared.status();
  std::map<std::string, uint64_t> seq_of;
  for (const Bid& b : bids) seq_of[BidId(b)] = b.seq;
  AuctionResult out;
  out.auction_id = a.id;
  for (const engine::Award& w : cleared->awards) {
    out.awards.push_back(Award{w.lot_id, w.bidder_id, w.price_minor_per_t, w.mass_g, w.amount_minor,
                               seq_of[w.bid_id]});
  }
  for (const engine::UnsoldLot& u : cleared->unsold) out.unsold_lot_ids.push_back(u.lot_id);
  out.sold_mass_g = cleared->total_awarded_g;
  out.proceeds_minor = cleared->total_amount_minor;
  return out;
}

// What differs between two results (empty when they agree).
std::string Difference(const AuctionResult& stored, const AuctionResult& recomputed) {
  if (stored.awards.size() != recomputed.awards.size()) {
    return absl::StrCat("stored ", stored.awards.size(), " awards, recomputed ",
                        recomputed.awards.size());
  }
  for (size_t i = 0; i < stored.awards.size(); ++i) {
    const Award& s = stored.awards[i];
    const Award& r = recomputed.awards[i];
    if (!(s == r)) {
      return absl::StrCat("award ", i, ": stored lot ", s.lot_id, " to ", s.bidder_id, " at ",
                          s.price_minor_per_t, ", recomputed lot ", r.lot_id, " to ", r.bidder_id,
                          " at ", r.price_minor_per_t);
    }
  }
  if (stored.unsold_lot_ids != recomputed.unsold_lot_ids) return "the unsold lots differ";
  if (stored.sold_mass_g != recomputed.sold_mass_g ||
      stored.proceeds_minor != recomputed.proceeds_minor) {
    return "the totals differ";
  }
  return "";
}

absl::StatusOr<std::vector<Bidder>> ReadBidders(ledger::Ledger& ledger, absl::string_view auction,
                                                ledger::ReadOptions& options) {
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger, keys::BidderPrefix(auction), kMaxBiddersPerAuction, options);
  if (!records.ok()) return records.status();
  options.at_seq = records->as_of_seq;
  std::vector<Bidder> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<Bidder> b = DecodeBidder(r.value);
    if (!b.ok()) return b.status();
    out.push_back(*std::move(b));
  }
  return out;
}

absl::StatusOr<std::vector<Bid>> ReadBids(ledger::Ledger& ledger, absl::string_view auction,
                                          ledger::ReadOptions& options) {
  absl::StatusOr<ledger::RecordPage> records =
      ScanAll(ledger, keys::BidPrefix(auction), kMaxBidsPerAuction, options);
  if (!records.ok()) return records.status();
  options.at_seq = records->as_of_seq;
  std::vector<Bid> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<Bid> b = DecodeBid(r.value);
    if (!b.ok()) return b.status();
    b->seq = r.version;
    out.push_back(*std::move(b));
  }
  return out;
}

json AuctionJson(const Auction& a) { return json::parse(EncodeAuction(a)); }
absl::StatusOr<Auction> AuctionFromJson(const json& j) { return DecodeAuction(j.dump()); }
json SettlementJson(const Settlement& s) { return json::parse(EncodeSettlement(s)); }
absl::StatusOr<Settlement> SettlementFromJson(const json& j) { return DecodeSettlement(j.dump()); }

}  // namespace

absl::CivilDay Auctions::Today() const { return absl::ToCivilDay(clock_(), absl::UTCTimeZone()); }

// ---- Creation and queries ----

absl::StatusOr<Mutation<Auction>> Auctions::Create(const Context& ctx, const Auction& draft) {
  if (absl::Status s = CheckAuctionDraft(draft); !s.ok()) return s;
  json req = {{"auction_id", draft.id},
              {"title", draft.title},
              {"order_id", draft.order_id},
              {"currency", draft.currency},
              {"eligibility_cutoff", domain::FormatDate(draft.eligibility_cutoff)},
              {"deposit_minor", draft.deposit_minor},
              {"bidder_cap_g", draft.bidder_cap_g},
              {"opens", draft.bidding_opens_at_ms},
              {"closes", draft.bidding_closes_at_ms},
              {"payment_days", draft.payment_days},
              {"pickup_days", draft.pickup_days}};
  json lots = json::array();
  for (const AuctionLot& l : draft.lots) lots.push_back({l.lot_id, l.reserve_price_minor_per_t});
  req["lots"] = lots;
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::Record> existing = ReadRecord(ledger_, keys::AuctionKey(draft.id));
    if (!existing.ok()) return existing.status();
    if (existing->version != 0) {
      return Precondition(why::kAuctionExists, absl::StrCat("auction ", draft.id, " exists"));
    }
    absl::StatusOr<OrderView> order = order_book_.Get(draft.order_id);
    if (!order.ok()) return order.status();
    const Order& o = order->order;
    if (o.direction != Direction::kRelease) {
      return Precondition(why::kOrderDirection,
                          absl::StrCat("order ", o.id, " does not authorise releases"));
    }
    Auction a = draft;
    a.metal = o.metal;
    a.ceiling_year = static_cast<int32_t>(ctx.business_date.year());
    a.status = AuctionStatus::kOpen;
    a.bidders = 0;
    a.cleared_at_ms = 0;
    Plan plan;
    int64_t total_g = 0;
    for (size_t i = 0; i < a.lots.size(); ++i) {
      AuctionLot& al = a.lots[i];
      std::string f = absl::StrCat("auction.lots[", i, "]");
      absl::StatusOr<Loaded<inventory::Lot>> lot = LoadLot(ledger_, al.lot_id);
      if (!lot.ok()) return lot.status();
      inventory::Lot l = lot->value;
      if (l.status != inventory::LotStatus::kInStock || !l.encumbrances.empty()) {
        return Precondition(
            why::kLotNotAvailable,
            absl::StrCat(f, ": lot ", l.id, " is ", inventory::LotStatusName(l.status),
                         l.encumbrances.empty() ? "" : " and encumbered"));
      }
      if (l.metal != o.metal) {
        return Precondition(why::kOrderMetal, absl::StrCat(f, ": lot ", l.id, " is ", l.metal,
                                                           "; order ", o.id, " is for ", o.metal));
      }
      if (al.reserve_price_minor_per_t < o.price_limit_minor_per_t) {
        return Precondition(
            why::kReserveBelowFloor,
            absl::StrCat(f, ": reserve price ", al.reserve_price_minor_per_t, " is below order ",
                         o.id, "'s floor of ", o.price_limit_minor_per_t, " per tonne"));
      }
      al.metal = l.metal;
      al.mass_g = l.net_mass_g;
      al.depot = l.depot;
      std::optional<int64_t> sum = CheckedAdd(total_g, l.net_mass_g);
      if (!sum.has_value()) return InvalidField("auction.lots", "total mass overflows");
      total_g = *sum;
      l.status = inventory::LotStatus::kEarmarked;
      l.encumbrances.push_back(
          inventory::Encumbrance{std::string(kEarmark), std::string(kEarmarkHolder), a.id});
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::LotKey(l.id), lot->version, inventory::EncodeLot(l), false});
    }
    TxBuilder b;
    b.Move(std::string(keys::kSlotUnit), std::string(keys::kSlotPoolAccount), false,
           keys::SlotAccount(a.id), true, static_cast<int64_t>(kMaxBiddersPerAuction));
    absl::StatusOr<uint64_t> order_version =
        order_book_.PlanReleaseUse(a.order_id, ctx.business_date, total_g, b);
    if (!order_version.ok()) return order_version.status();
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.checks.push_back(ledger::RecordCheck{keys::OrderKey(a.order_id), *order_version});
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::AuctionKey(a.id), 0, EncodeAuction(a), false});
    plan.tx.writes.push_back(ledger::RecordWrite{keys::GateKey(a.id), 0, GateValue(true), false});
    plan.tx.memo = a.title;
    plan.response = AuctionJson(a);
    return plan;
  };
  return Convert<Auction>(Mutate(ledger_, ctx, "decision.create_auction", req, planner),
                          AuctionFromJson);
}

absl::Status Auctions::FillBidderCounts(std::vector<Auction>& auctions) {
  std::vector<std::string> accounts;
  for (const Auction& a : auctions) accounts.push_back(keys::SlotAccount(a.id));
  absl::StatusOr<std::map<std::string, int64_t>> left = ReadBalances(ledger_, accounts);
  if (!left.ok()) return left.status();
  for (Auction& a : auctions) {
    a.bidders = static_cast<int32_t>(static_cast<int64_t>(kMaxBiddersPerAuction) -
                                     (*left)[keys::SlotAccount(a.id)]);
  }
  return absl::OkStatus();
}

absl::StatusOr<Auction> Auctions::Get(absl::string_view id) {
  if (absl::Status s = CheckId(id, "auction_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Auction>> a = LoadAuction(ledger_, id);
  if (!a.ok()) return a.status();
  std::vector<Auction> one = {a->value};
  if (absl::Status s = FillBidderCounts(one); !s.ok()) return s;
  return one.front();
}

absl::StatusOr<AuctionPage> Auctions::List(size_t page_size, const std::string& page_token) {
  absl::StatusOr<ledger::RecordPage> p =
      ScanPage(ledger_, keys::kAuctionPrefix, page_size, page_token);
  if (!p.ok()) return p.status();
  AuctionPage out;
  for (const ledger::Record& r : p->records) {
    absl::StatusOr<Auction> a = DecodeAuction(r.value);
    if (!a.ok()) return a.status();
    out.auctions.push_back(*std::move(a));
  }
  if (absl::Status s = FillBidderCounts(out.auctions); !s.ok()) return s;
  out.next_page_token = p->next_page_token;
  return out;
}

// ---- Registration and bids ----

absl::StatusOr<Mutation<Bidder>> Auctions::Register(const Context& ctx,
                                                    absl::string_view auction_id,
                                                    const Bidder& bidder) {
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckBidderInput(bidder); !s.ok()) return s;
  json req = json::parse(EncodeBidder(bidder));
  req.erase("registered_at_ms");
  req["auction_id"] = auction_id;
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Auction>> loaded = LoadAuction(ledger_, auction_id);
    if (!loaded.ok()) return loaded.status();
    Auction a = loaded->value;
    int64_t now_ms = absl::ToUnixMillis(clock_());
    if (a.status != AuctionStatus::kOpen || now_ms >= a.bidding_closes_at_ms) {
      return Precondition(why::kBiddingClosed,
                          absl::StrCat("registration for auction ", a.id, " has closed"));
    }
    if (!bidder.manufacturer) {
      return Precondition(why::kNotManufacturer,
                          absl::StrCat(bidder.company, " is not a manufacturer"));
    }
    if (!(bidder.company_registered_on < a.eligibility_cutoff)) {
      return Precondition(
          why::kRegisteredAfterCutoff,
          absl::StrCat(bidder.company, " was registered on ",
                       domain::FormatDate(bidder.company_registered_on),
                       ", not before the cut-off ", domain::FormatDate(a.eligibility_cutoff)));
    }
    if (!bidder.accepts_no_resale) {
      return Precondition(why::kNoResaleRequired,
                          "a buyer must commit not to resell the metal it wins");
    }
    if (bidder.deposit_minor < a.deposit_minor) {
      return Precondition(why::kDepositInsufficient,
                          absl::StrCat("the deposit is ", a.deposit_minor, " ", a.currency,
                                       " minor; ", bidder.deposit_minor, " was paid"));
    }
    absl::StatusOr<std::map<std::string, int64_t>> slots =
        ReadBalances(ledger_, {keys::SlotAccount(a.id)});
    if (!slots.ok()) return slots.status();
    if ((*slots)[keys::SlotAccount(a.id)] <= 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("auction ", a.id, " has ", kMaxBiddersPerAuction, " bidders"));
    }
    absl::StatusOr<ledger::RecordSet> existing =
        ReadRecords(ledger_, {keys::BidderKey(a.id, bidder.id),
                              keys::GroupKey(a.id, bidder.corporate_group), keys::GateKey(a.id)});
    if (!existing.ok()) return existing.status();
    if (existing->records[0].version != 0) {
      return Precondition(why::kBidderExists,
                          absl::StrCat(bidder.id, " is already registered for ", a.id));
    }
    if (existing->records[1].version != 0) {
      json group = json::parse(existing->records[1].value, nullptr, /*allow_exceptions=*/false);
      std::string holder =
          group.is_object() && group.contains("bidder_id") && group["bidder_id"].is_string()
              ? group["bidder_id"].get<std::string>()
              : "another bidder";
      return Precondition(
          why::kGroupAlreadyRegistered,
          absl::StrCat(holder, " of group ", bidder.corporate_group, " is already registered for ",
                       a.id, " (one company per corporate group)"));
    }
    Bidder registered = bidder;
    registered.registered_at_ms = now_ms;
    Plan plan;
    TxBuilder b;
    b.Move(a.currency, keys::BiddersAccount(a.currency), false,
           keys::DepositAccount(a.id, bidder.id), true, bidder.deposit_minor);
    b.Move(std::string(keys::kSlotUnit), keys::SlotAccount(a.id), true,
           std::string(keys::kSlotPoolAccount), false, 1);
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::BidderKey(a.id, bidder.id), 0, EncodeBidder(registered), false});
    plan.tx.writes.push_back(ledger::RecordWrite{keys::GroupKey(a.id, bidder.corporate_group), 0,
                                                 json{{"bidder_id", bidder.id}}.dump(), false});
    plan.tx.checks.push_back(
        ledger::RecordCheck{keys::GateKey(a.id), existing->records[2].version});
    plan.response = json::parse(EncodeBidder(registered));
    return plan;
  };
  return Convert<Bidder>(Mutate(ledger_, ctx, "decision.register_bidder", req, planner),
                         [](const json& j) { return DecodeBidder(j.dump()); });
}

absl::StatusOr<BidderPage> Auctions::ListBidders(absl::string_view auction_id, size_t page_size,
                                                 const std::string& page_token) {
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Auction>> a = LoadAuction(ledger_, auction_id);
  if (!a.ok()) return a.status();
  absl::StatusOr<ledger::RecordPage> p =
      ScanPage(ledger_, keys::BidderPrefix(auction_id), page_size, page_token);
  if (!p.ok()) return p.status();
  BidderPage out;
  for (const ledger::Record& r : p->records) {
    absl::StatusOr<Bidder> b = DecodeBidder(r.value);
    if (!b.ok()) return b.status();
    out.bidders.push_back(*std::move(b));
  }
  out.next_page_token = p->next_page_token;
  return out;
}

absl::StatusOr<Mutation<Bid>> Auctions::PlaceBid(const Context& ctx, const Bid& bid) {
  if (absl::Status s = CheckId(bid.auction_id, "bid.auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(bid.bidder_id, "bid.bidder_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(bid.lot_id, "bid.lot_id"); !s.ok()) return s;
  if (bid.price_minor_per_t <= 0 || bid.price_minor_per_t > engine::kMaxPriceMinorPerT) {
    return InvalidField("bid.price_minor_per_t", "must be positive");
  }
  json req = {{"auction_id", bid.auction_id},
              {"bidder_id", bid.bidder_id},
              {"lot_id", bid.lot_id},
              {"price_minor_per_t", bid.price_minor_per_t}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Auction>> loaded = LoadAuction(ledger_, bid.auction_id);
    if (!loaded.ok()) return loaded.status();
    const Auction& a = loaded->value;
    int64_t now_ms = absl::ToUnixMillis(clock_());
    if (a.status != AuctionStatus::kOpen || now_ms >= a.bidding_closes_at_ms) {
      return Precondition(why::kBiddingClosed, absl::StrCat("bidding on ", a.id, " has closed"));
    }
    if (now_ms < a.bidding_opens_at_ms) {
      return Precondition(why::kBiddingNotOpen,
                          absl::StrCat("bidding on ", a.id, " has not opened yet"));
    }
    auto lot = std::find_if(a.lots.begin(), a.lots.end(),
                            [&](const AuctionLot& l) { return l.lot_id == bid.lot_id; });
    if (lot == a.lots.end()) {
      return Precondition(why::kLotNotInAuction,
                          absl::StrCat("lot ", bid.lot_id, " is not offered in ", a.id));
    }
    if (bid.price_minor_per_t < lot->reserve_price_minor_per_t) {
      return Precondition(
          why::kBelowReserve,
          absl::StrCat("the bid of ", bid.price_minor_per_t, " per tonne is below lot ",
                       lot->lot_id, "'s reserve price of ", lot->reserve_price_minor_per_t));
    }
    std::string bid_key = keys::BidKey(a.id, bid.bidder_id, bid.lot_id);
    absl::StatusOr<ledger::RecordSet> existing =
        ReadRecords(ledger_, {keys::BidderKey(a.id, bid.bidder_id), bid_key, keys::GateKey(a.id)});
    if (!existing.ok()) return existing.status();
    if (existing->records[0].version == 0) {
      return NotFound(why::kUnknownBidder,
                      absl::StrCat(bid.bidder_id, " is not registered for ", a.id));
    }
    if (existing->records[1].version != 0) {
      absl::StatusOr<Bid> standing = DecodeBid(existing->records[1].value);
      if (!standing.ok()) return standing.status();
      if (bid.price_minor_per_t <= standing->price_minor_per_t) {
        return Precondition(
            why::kBidNotHigher,
            absl::StrCat(bid.bidder_id, " already bids ", standing->price_minor_per_t,
                         " per tonne on lot ", bid.lot_id, "; a new bid must be higher"));
      }
    }
    Bid placed = bid;
    placed.placed_at_ms = now_ms;
    placed.seq = 0;
    Plan plan;
    plan.tx.writes.push_back(
        ledger::RecordWrite{bid_key, existing->records[1].version, EncodeBid(placed), false});
    plan.tx.checks.push_back(
        ledger::RecordCheck{keys::GateKey(a.id), existing->records[2].version});
    plan.response = json::parse(EncodeBid(placed));
    return plan;
  };
  absl::StatusOr<Mutation<Bid>> m =
      Convert<Bid>(Mutate(ledger_, ctx, "decision.place_bid", req, planner),
                   [](const json& j) { return DecodeBid(j.dump()); });
  if (m.ok()) m->value.seq = m->seq;
  return m;
}

// ---- Clearing ----

absl::StatusOr<Mutation<AuctionResult>> Auctions::Clear(const Context& ctx,
                                                        absl::string_view auction_id) {
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  // Step 1, its own transaction: close bidding, so that every bid the clearing reads is final
  // (bids check the gate record this writes).
  Context close_ctx = ctx;
  close_ctx.request_id = absl::StrCat(ctx.request_id, ":close");
  auto close_planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Auction>> loaded = LoadAuction(ledger_, auction_id);
    if (!loaded.ok()) return loaded.status();
    Auction a = loaded->value;
    Plan plan;
    plan.response = {{"auction_id", a.id}};
    if (a.status != AuctionStatus::kOpen) return plan;  // closed by an earlier request
    if (absl::ToUnixMillis(clock_()) < a.bidding_closes_at_ms) {
      return Precondition(
          why::kBiddingStillOpen,
          absl::StrCat(
              "bidding on ", a.id, " is open until ",
              absl::FormatTime(absl::FromUnixMillis(a.bidding_closes_at_ms), absl::UTCTimeZone())));
    }
    absl::StatusOr<ledger::Record> gate = ReadRecord(ledger_, keys::GateKey(a.id));
    if (!gate.ok()) return gate.status();
    a.status = AuctionStatus::kBiddingClosed;
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::AuctionKey(a.id), loaded->version, EncodeAuction(a), false});
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::GateKey(a.id), gate->version, GateValue(false), false});
    return plan;
  };
  json req = {{"auction_id", auction_id}};
  if (absl::StatusOr<Mutation<json>> closed =
          Mutate(ledger_, close_ctx, "decision.close_bidding", req, close_planner);
      !closed.ok()) {
    return closed.status();
  }

  // Step 2: clear and record, in one transaction.
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Auction>> loaded = LoadAuction(ledger_, auction_id);
    if (!loaded.ok()) return loaded.status();
    Auction a = loaded->value;
    if (a.status == AuctionStatus::kCleared) {
      return Precondition(why::kAuctionCleared, absl::StrCat("auction ", a.id, " was cleared"));
    }
    ledger::ReadOptions snapshot;
    absl::StatusOr<std::vector<Bidder>> bidders = ReadBidders(ledger_, a.id, snapshot);
    if (!bidders.ok()) return bidders.status();
    absl::StatusOr<std::vector<Bid>> bids = ReadBids(ledger_, a.id, snapshot);
    if (!bids.ok()) return bids.status();
    absl::StatusOr<AuctionResult> result = RunClearing(a, *bidders, *bids);
    if (!result.ok()) return result.status();

    Plan plan;
    TxBuilder b;
    absl::CivilDay today = Today();
    a.status = AuctionStatus::kCleared;
    a.cleared_at_ms = absl::ToUnixMillis(clock_());
    a.payment_due = today + a.payment_days;
    a.pickup_due = today + a.pickup_days;
    std::map<std::string, const Bidder*> bidder_of;
    for (const Bidder& bd : *bidders) bidder_of[bd.id] = &bd;
    // Awarded lots stay earmarked, now held for the buyer; unsold lots go back to stock.
    std::map<std::string, Settlement> settlements;
    for (const Award& w : result->awards) {
      absl::StatusOr<Loaded<inventory::Lot>> lot = LoadLot(ledger_, w.lot_id);
      if (!lot.ok()) return lot.status();
      inventory::Lot l = lot->value;
      auto earmark = FindEarmark(l, a.id);
      if (earmark == l.encumbrances.end()) {
        return Precondition(why::kLotNotAvailable,
                            absl::StrCat("lot ", l.id, " is no longer earmarked for ", a.id));
      }
      earmark->holder = absl::StrCat("bidder:", w.bidder_id);
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::LotKey(l.id), lot->version, inventory::EncodeLot(l), false});
      Settlement& s = settlements[w.bidder_id];
      const Bidder* bd = bidder_of[w.bidder_id];
      s.bidder_id = w.bidder_id;
      s.company = bd != nullptr ? bd->company : "";
      s.deposit_minor = bd != nullptr ? bd->deposit_minor : 0;
      s.lot_ids.push_back(w.lot_id);
      s.mass_g += w.mass_g;
      s.amount_due_minor += w.amount_minor;
      s.status = SettlementStatus::kAwarded;
      s.payment_due = a.payment_due;
      s.pickup_due = a.pickup_due;
      s.no_resale_commitment = std::string(kNoResaleCommitment);
    }
    int64_t unsold_g = 0;
    for (const std::string& id : result->unsold_lot_ids) {
      absl::StatusOr<Loaded<inventory::Lot>> lot = LoadLot(ledger_, id);
      if (!lot.ok()) return lot.status();
      if (absl::Status s = ReturnToStock(lot->value, lot->version, a.id, plan.tx); !s.ok()) {
        return s;
      }
      for (const AuctionLot& al : a.lots) {
        if (al.lot_id == id) unsold_g += al.mass_g;
      }
    }
    if (unsold_g > 0) {
      absl::StatusOr<Loaded<Order>> order =
          order_book_.PlanReleaseReturn(a.order_id, a.ceiling_year, unsold_g, b);
      if (!order.ok()) return order.status();
      plan.tx.writes.push_back(ledger::RecordWrite{keys::OrderKey(a.order_id), order->version,
                                                   EncodeOrder(order->value), false});
    }
    // Deposits of bidders who won nothing go back to them.
    for (const Bidder& bd : *bidders) {
      if (settlements.contains(bd.id) || bd.deposit_minor == 0) continue;
      std::string deposit = keys::DepositAccount(a.id, bd.id);
      b.MarkExisting(deposit);
      b.Move(a.currency, deposit, true, keys::BiddersAccount(a.currency), false, bd.deposit_minor);
    }
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    for (const auto& [id, s] : settlements) {
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::SettlementKey(a.id, id), 0, EncodeSettlement(s), false});
    }
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::ResultKey(a.id), 0, EncodeAuctionResult(*result), false});
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::AuctionKey(a.id), loaded->version, EncodeAuction(a), false});
    plan.response = {{"auction_id", a.id}};
    return plan;
  };
  absl::StatusOr<Mutation<json>> cleared =
      Mutate(ledger_, ctx, "decision.clear_auction", req, planner);
  if (!cleared.ok()) return cleared.status();
  absl::StatusOr<AuctionResultView> view = GetResult(auction_id);
  if (!view.ok()) return view.status();
  return Mutation<AuctionResult>{std::move(view->result), cleared->seq, cleared->replayed};
}

absl::StatusOr<AuctionResultView> Auctions::GetResult(absl::string_view auction_id) {
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Auction>> auction = LoadAuction(ledger_, auction_id);
  if (!auction.ok()) return auction.status();
  absl::StatusOr<ledger::Record> r = ReadRecord(ledger_, keys::ResultKey(auction_id));
  if (!r.ok()) return r.status();
  if (r->version == 0) {
    return NotFound(why::kUnknownResult, absl::StrCat("auction ", auction_id, " is not cleared"));
  }
  AuctionResultView out;
  absl::StatusOr<AuctionResult> result = DecodeAuctionResult(r->value);
  if (!result.ok()) return result.status();
  out.result = *std::move(result);
  out.result.cleared_seq = r->version;
  absl::StatusOr<ledger::RecordPage> settlements =
      ScanAll(ledger_, keys::SettlementPrefix(auction_id), kMaxLotsPerAuction);
  if (!settlements.ok()) return settlements.status();
  std::vector<std::string> lot_keys;
  for (const ledger::Record& sr : settlements->records) {
    absl::StatusOr<Settlement> s = DecodeSettlement(sr.value);
    if (!s.ok()) return s.status();
    for (const std::string& lot : s->lot_ids) lot_keys.push_back(keys::LotKey(lot));
    out.result.settlements.push_back(*std::move(s));
  }
  absl::StatusOr<ledger::RecordSet> lots =
      ReadRecords(ledger_, lot_keys, {.at_seq = settlements->as_of_seq});
  if (!lots.ok()) return lots.status();
  for (const ledger::Record& lr : lots->records) {
    absl::StatusOr<inventory::Lot> l = inventory::DecodeLot(lr.value);
    if (!l.ok()) return l.status();
    if (l->status == inventory::LotStatus::kReleased && l->release_reference == auction_id) {
      for (const Award& w : out.result.awards) {
        if (w.lot_id == l->id) out.delivered[w.bidder_id].push_back(l->id);
      }
    }
  }
  return out;
}

absl::StatusOr<Verification> Auctions::Verify(absl::string_view auction_id) {
  absl::StatusOr<AuctionResultView> stored = GetResult(auction_id);
  if (!stored.ok()) return stored.status();
  std::string auction_key = keys::AuctionKey(auction_id);
  absl::StatusOr<std::vector<ledger::Seq>> auction_seqs = ledger_.RecordHistory(auction_key, {});
  if (!auction_seqs.ok()) return auction_seqs.status();
  absl::StatusOr<std::vector<ledger::Seq>> gate_seqs =
      ledger_.RecordHistory(keys::GateKey(auction_id), {});
  if (!gate_seqs.ok()) return gate_seqs.status();
  if (auction_seqs->empty() || gate_seqs->size() < 2) {
    return absl::DataLossError(absl::StrCat("auction ", auction_id, " lacks its journal history"));
  }
  const ledger::Seq first = auction_seqs->front();
  const ledger::Seq close = gate_seqs->back();
  if (close - first + 1 > kMaxJournalEntriesPerVerify) {
    return absl::ResourceExhaustedError(absl::StrCat("auction ", auction_id, " spans more than ",
                                                     kMaxJournalEntriesPerVerify,
                                                     " journal entries"));
  }
  // Replay the journal from the creation to the close: the auction as created, and the
  // latest write of every registration and bid, with the sequence number that wrote it.
  std::optional<Auction> auction;
  std::map<std::string, Bidder> bidders;
  std::map<std::string, Bid> bids;
  std::string bidder_prefix = keys::BidderPrefix(auction_id);
  std::string bid_prefix = keys::BidPrefix(auction_id);
  Verification out;
  for (ledger::Seq seq = first; seq <= close;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(ledger::kMaxPageSize, close - seq + 1));
    absl::StatusOr<std::vector<ledger::JournalEntry>> entries = ledger_.ReadJournal(seq, n);
    if (!entries.ok()) return entries.status();
    if (entries->empty()) return absl::DataLossError(absl::StrCat("journal ends before ", seq));
    for (const ledger::JournalEntry& e : *entries) {
      ++out.journal_entries_read;
      for (const ledger::RecordWrite& w : e.tx.writes) {
        if (w.erase) continue;
        if (w.key == auction_key && !auction.has_value()) {
          absl::StatusOr<Auction> a = DecodeAuction(w.value);
          if (!a.ok()) return a.status();
          auction = *std::move(a);
        } else if (absl::StartsWith(w.key, bidder_prefix)) {
          absl::StatusOr<Bidder> b = DecodeBidder(w.value);
          if (!b.ok()) return b.status();
          bidders[w.key] = *std::move(b);
        } else if (absl::StartsWith(w.key, bid_prefix)) {
          absl::StatusOr<Bid> b = DecodeBid(w.value);
          if (!b.ok()) return b.status();
          b->seq = e.seq;
          bids[w.key] = *std::move(b);
        }
      }
      seq = e.seq + 1;
    }
  }
  if (!auction.has_value()) {
    return absl::DataLossError(absl::StrCat("no creation entry for auction ", auction_id));
  }
  std::vector<Bidder> bidder_list;
  for (auto& [k, b] : bidders) bidder_list.push_back(std::move(b));
  std::vector<Bid> bid_list;
  for (auto& [k, b] : bids) bid_list.push_back(std::move(b));
  absl::StatusOr<AuctionResult> recomputed = RunClearing(*auction, bidder_list, bid_list);
  if (!recomputed.ok()) return recomputed.status();
  out.recomputed = *std::move(recomputed);
  out.recomputed.cleared_seq = stored->result.cleared_seq;
  out.difference = Difference(stored->result, out.recomputed);
  out.matches = out.difference.empty();
  return out;
}

// ---- Settlement ----

absl::StatusOr<Mutation<Settlement>> Auctions::RecordPayment(const Context& ctx,
                                                             absl::string_view auction_id,
                                                             absl::string_view bidder_id,
                                                             int64_t amount_minor) {
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(bidder_id, "bidder_id"); !s.ok()) return s;
  if (amount_minor < 0 || amount_minor > engine::kMaxMoneyMinor) {
    return InvalidField("amount_minor", "0..10^17");
  }
  json req = {{"auction_id", auction_id}, {"bidder_id", bidder_id}, {"amount_minor", amount_minor}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Auction>> a = LoadAuction(ledger_, auction_id);
    if (!a.ok()) return a.status();
    absl::StatusOr<Loaded<Settlement>> loaded = LoadSettlement(ledger_, auction_id, bidder_id);
    if (!loaded.ok()) return loaded.status();
    Settlement s = loaded->value;
    if (s.status != SettlementStatus::kAwarded) {
      return Precondition(why::kSettlementNotAwarded,
                          absl::StrCat(bidder_id, "'s award in ", auction_id,
                                       " is not awaiting "
                                       "payment"));
    }
    if (Today() > s.payment_due) {
      return Precondition(why::kPaymentOverdue,
                          absl::StrCat("payment was due by ", domain::FormatDate(s.payment_due)));
    }
    int64_t applied = std::min(s.deposit_minor, s.amount_due_minor);
    int64_t due = s.amount_due_minor - applied;
    if (amount_minor != due) {
      return Precondition(why::kPaymentAmount, absl::StrCat("the amount due less the deposit is ",
                                                            due, "; ", amount_minor, " was paid"));
    }
    const std::string& cur = a->value.currency;
    TxBuilder b;
    std::string deposit = keys::DepositAccount(auction_id, bidder_id);
    b.Move(cur, keys::BiddersAccount(cur), false, keys::ProceedsAccount(auction_id), false,
           amount_minor);
    b.Move(cur, deposit, true, keys::ProceedsAccount(auction_id), false, applied);
    b.Move(cur, deposit, true, keys::BiddersAccount(cur), false, s.deposit_minor - applied);
    Plan plan;
    if (absl::Status st = b.Finish(plan.tx); !st.ok()) return st;
    s.status = SettlementStatus::kPaid;
    s.paid_minor = amount_minor;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::SettlementKey(auction_id, bidder_id),
                                                 loaded->version, EncodeSettlement(s), false});
    plan.response = SettlementJson(s);
    return plan;
  };
  return Convert<Settlement>(Mutate(ledger_, ctx, "decision.record_payment", req, planner),
                             SettlementFromJson);
}

absl::StatusOr<Mutation<Settlement>> Auctions::Forfeit(const Context& ctx,
                                                       absl::string_view auction_id,
                                                       absl::string_view bidder_id) {
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(bidder_id, "bidder_id"); !s.ok()) return s;
  json req = {{"auction_id", auction_id}, {"bidder_id", bidder_id}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Auction>> a = LoadAuction(ledger_, auction_id);
    if (!a.ok()) return a.status();
    absl::StatusOr<Loaded<Settlement>> loaded = LoadSettlement(ledger_, auction_id, bidder_id);
    if (!loaded.ok()) return loaded.status();
    Settlement s = loaded->value;
    if (s.status != SettlementStatus::kAwarded) {
      return Precondition(why::kSettlementNotAwarded,
                          absl::StrCat(bidder_id, "'s award in ", auction_id,
                                       " is not awaiting "
                                       "payment"));
    }
    if (Today() <= s.payment_due) {
      return Precondition(why::kPaymentNotOverdue,
                          absl::StrCat("payment is due by ", domain::FormatDate(s.payment_due)));
    }
    Plan plan;
    for (const std::string& id : s.lot_ids) {
      absl::StatusOr<Loaded<inventory::Lot>> lot = LoadLot(ledger_, id);
      if (!lot.ok()) return lot.status();
      if (absl::Status st = ReturnToStock(lot->value, lot->version, auction_id, plan.tx);
          !st.ok()) {
        return st;
      }
    }
    const std::string& cur = a->value.currency;
    TxBuilder b;
    b.Move(cur, keys::DepositAccount(auction_id, bidder_id), true,
           keys::ProceedsAccount(auction_id), false, s.deposit_minor);
    absl::StatusOr<Loaded<Order>> order =
        order_book_.PlanReleaseReturn(a->value.order_id, a->value.ceiling_year, s.mass_g, b);
    if (!order.ok()) return order.status();
    if (absl::Status st = b.Finish(plan.tx); !st.ok()) return st;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::OrderKey(a->value.order_id), order->version,
                                                 EncodeOrder(order->value), false});
    s.status = SettlementStatus::kForfeited;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::SettlementKey(auction_id, bidder_id),
                                                 loaded->version, EncodeSettlement(s), false});
    plan.response = SettlementJson(s);
    return plan;
  };
  return Convert<Settlement>(Mutate(ledger_, ctx, "decision.forfeit_award", req, planner),
                             SettlementFromJson);
}

absl::StatusOr<Mutation<Delivery>> Auctions::Deliver(const Context& ctx,
                                                     absl::string_view auction_id,
                                                     absl::string_view bidder_id,
                                                     const std::vector<std::string>& lot_ids) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(auction_id, "auction_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(bidder_id, "bidder_id"); !s.ok()) return s;
  if (lot_ids.size() > kMaxLotsPerAuction) {
    return InvalidField("lot_ids", absl::StrCat("at most ", kMaxLotsPerAuction));
  }
  std::set<std::string> wanted;
  for (size_t i = 0; i < lot_ids.size(); ++i) {
    std::string f = absl::StrCat("lot_ids[", i, "]");
    if (absl::Status s = CheckId(lot_ids[i], f); !s.ok()) return s;
    if (!wanted.insert(lot_ids[i]).second) return InvalidField(f, "appears twice");
  }
  absl::StatusOr<Loaded<Auction>> a = LoadAuction(ledger_, auction_id);
  if (!a.ok()) return a.status();
  absl::StatusOr<Loaded<Settlement>> s = LoadSettlement(ledger_, auction_id, bidder_id);
  if (!s.ok()) return s.status();
  if (s->value.status == SettlementStatus::kAwarded) {
    return Precondition(why::kNotPaid, absl::StrCat(bidder_id, " has not paid for its lots"));
  }
  if (s->value.status != SettlementStatus::kPaid) {
    return Precondition(why::kSettlementNotAwarded,
                        absl::StrCat(bidder_id, "'s award in ", auction_id, " was forfeited"));
  }
  inventory::ReleaseRequest release;
  for (const std::string& id : s->value.lot_ids) {
    if (wanted.empty() || wanted.contains(id)) release.lines.push_back({id, 0});
    wanted.erase(id);
  }
  if (!wanted.empty()) {
    return Precondition(why::kNoAward, absl::StrCat("lot ", *wanted.begin(), " was not awarded to ",
                                                    bidder_id, " in ", auction_id));
  }
  release.buyer = s->value.company;
  release.reference = std::string(auction_id);
  release.earmark_reference = std::string(auction_id);
  release.memo = absl::StrCat("delivery of auction ", auction_id, " lots to ", bidder_id,
                              " (no-resale commitment recorded)");
  Context release_ctx = ctx;
  release_ctx.request_id = keys::DeliveryRequestId(ctx.request_id);
  absl::StatusOr<Mutation<inventory::ReleaseResult>> released =
      inventory_.Release(release_ctx, release);
  if (!released.ok()) return released.status();
  return Mutation<Delivery>{Delivery{std::move(released->value), Today() > s->value.pickup_due},
                            released->seq, released->replayed};
}

}  // namespace reserve::decision
