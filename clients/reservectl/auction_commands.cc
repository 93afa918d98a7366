// `reservectl auctions ...`: release auctions (DecisionService, services/decision/auctions.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/reservectl/command_kit.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {
namespace {

using kit::Leaf;
using kit::MutationFlags;
using S = v1::DecisionService::Stub;

// "now", "+DURATION" (from now, e.g. +90s, +2h) or RFC 3339 ("2024-03-01T10:00:00+08:00").
absl::StatusOr<int64_t> InstantMs(absl::string_view flag, absl::string_view text) {
  absl::Time t;
  std::string error;
  if (text == "now") {
    t = absl::Now();
  } else if (!text.empty() && text.front() == '+') {
    absl::Duration d;
    if (!absl::ParseDuration(text.substr(1), &d)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": not a duration like +90s or +2h"));
    }
    t = absl::Now() + d;
  } else if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": now, +DURATION or an RFC 3339 time (", error, ")"));
  }
  return absl::ToUnixMillis(t);
}

std::string Instant(int64_t ms) {
  return ms == 0 ? "-"
                 : absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms),
                                    absl::UTCTimeZone());
}

const Columns<v1::Auction>& AuctionColumns() {
  using A = v1::Auction;
  static const Columns<A> c = {
      {"auction_id", [](const A& a) { return a.auction_id(); }},
      {"title", [](const A& a) { return a.title(); }},
      {"status", [](const A& a) { return EnumName(v1::AuctionStatus_descriptor(), a.status()); }},
      {"metal", [](const A& a) { return a.metal(); }},
      {"lots", [](const A& a) { return absl::StrCat(a.lots_size()); }, Align::kRight},
      {"mass_t",
       [](const A& a) {
         int64_t g = 0;
         for (const v1::AuctionLot& l : a.lots()) g += l.mass_g();
         return Tonnes(g);
       },
       Align::kRight},
      {"bidders", [](const A& a) { return absl::StrCat(a.bidders()); }, Align::kRight},
      {"opens", [](const A& a) { return Instant(a.bidding_opens_at_ms()); }},
      {"closes", [](const A& a) { return Instant(a.bidding_closes_at_ms()); }},
      {"order", [](const A& a) { return a.order_id(); }},
  };
  return c;
}

const Columns<v1::Auction>& AuctionDetailColumns() {
  using A = v1::Auction;
  static const Columns<A> c = Concat(
      AuctionColumns(),
      {
          {"cutoff", [](const A& a) { return FormatDate(a.eligibility_cutoff()); }},
          {"deposit",
           [](const A& a) { return absl::StrCat(Money(a.deposit_minor()), " ", a.currency()); }},
          {"bidder_cap_t", [](const A& a) { return Tonnes(a.bidder_cap_g()); }},
          {"payment_due", [](const A& a) { return FormatDate(a.payment_due()); }},
          {"pickup_due", [](const A& a) { return FormatDate(a.pickup_due()); }},
          {"lot_list",
           [](const A& a) {
             std::vector<std::string> lots;
             for (const v1::AuctionLot& l : a.lots()) {
               lots.push_back(absl::StrCat(l.lot_id(), " ", Tonnes(l.mass_g()),
                                           "t >=", Money(l.reserve_price_minor_per_t())));
             }
             return absl::StrJoin(lots, "; ");
           }},
      });
  return c;
}

const Columns<v1::Bidder>& BidderColumns() {
  using B = v1::Bidder;
  static const Columns<B> c = {
      {"bidder_id", [](const B& b) { return b.bidder_id(); }},
      {"company", [](const B& b) { return b.company(); }},
      {"group", [](const B& b) { return b.corporate_group_id(); }},
      {"manufacturer", [](const B& b) { return Bool(b.manufacturer()); }},
      {"registered_on", [](const B& b) { return FormatDate(b.company_registered_on()); }},
      {"deposit", [](const B& b) { return Money(b.deposit_minor()); }, Align::kRight},
      {"no_resale", [](const B& b) { return Bool(b.accepts_no_resale()); }},
  };
  return c;
}

const Columns<v1::Award>& AwardColumns() {
  using W = v1::Award;
  static const Columns<W> c = {
      {"lot_id", [](const W& w) { return w.lot_id(); }},
      {"bidder_id", [](const W& w) { return w.bidder_id(); }},
      {"mass_t", [](const W& w) { return Tonnes(w.mass_g()); }, Align::kRight},
      {"price_per_t", [](const W& w) { return Money(w.price_minor_per_t()); }, Align::kRight},
      {"amount", [](const W& w) { return Money(w.amount_minor()); }, Align::kRight},
      {"bid_seq", [](const W& w) { return absl::StrCat(w.bid_seq()); }, Align::kRight},
  };
  return c;
}

const Columns<v1::Settlement>& SettlementColumns() {
  using T = v1::Settlement;
  static const Columns<T> c = {
      {"bidder_id", [](const T& t) { return t.bidder_id(); }},
      {"company", [](const T& t) { return t.company(); }},
      {"status",
       [](const T& t) { return EnumName(v1::SettlementStatus_descriptor(), t.status()); }},
      {"lots", [](const T& t) { return absl::StrJoin(t.lot_ids(), ","); }},
      {"mass_t", [](const T& t) { return Tonnes(t.mass_g()); }, Align::kRight},
      {"due", [](const T& t) { return Money(t.amount_due_minor()); }, Align::kRight},
      {"deposit", [](const T& t) { return Money(t.deposit_minor()); }, Align::kRight},
      {"pay_by", [](const T& t) { return FormatDate(t.payment_due()); }},
      {"collect_by", [](const T& t) { return FormatDate(t.pickup_due()); }},
      {"delivered", [](const T& t) { return absl::StrJoin(t.delivered_lot_ids(), ","); }},
  };
  return c;
}

std::string ResultTrailer(const v1::AuctionResult& r) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat(
      "sold ", Tonnes(r.sold_mass_g()), " t for ", Money(r.proceeds_minor()),
      "; unsold: ", r.unsold_lot_ids().empty() ? "none" : absl::StrJoin(r.unsold_lot_ids(), ",")));
  for (const v1::Settlement& s : r.settlements()) {
    lines.push_back(absl::StrCat(
        s.bidder_id(), " (", s.company(),
        "): ", EnumName(v1::SettlementStatus_descriptor(), s.status()), ", due ",
        Money(s.amount_due_minor()), " less deposit ", Money(s.deposit_minor()), " by ",
        FormatDate(s.payment_due()), ", collect by ", FormatDate(s.pickup_due()), "; delivered: ",
        s.delivered_lot_ids().empty() ? "none" : absl::StrJoin(s.delivered_lot_ids(), ",")));
  }
  return absl::StrJoin(lines, "\n");
}

// The positional auction id plus mutation flags, shared by most leaves.
struct AuctionFlags {
  MutationFlags m;
  std::string auction, bidder;
};

CLI::App* AuctionLeaf(CLI::App* parent, const std::string& name, const std::string& help,
                      Action* chosen, AuctionFlags* f, Action action, bool mutation, bool bidder) {
  CLI::App* leaf = Leaf(parent, name, help, chosen, std::move(action));
  if (mutation) kit::AddMutationFlags(leaf, &f->m, true);
  leaf->add_option("auction_id", f->auction, "auction id")->required();
  if (bidder) leaf->add_option("--bidder", f->bidder, "bidder id")->required();
  return leaf;
}

}  // namespace

void AddAuctionCommands(CLI::App& app, Action* chosen) {
  CLI::App* auctions = app.add_subcommand("auctions", "Release auctions of earmarked lots");
  auctions->require_subcommand(1);

  struct CreateFlags {
    MutationFlags m;
    std::string id, title, order, currency = "CNY", cutoff, deposit, cap, opens, closes;
    std::vector<std::string> lots;
    int payment_days = 10, pickup_days = 30;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create = Leaf(
      auctions, "create", "Earmark lots for an auction under a release order (admin)", chosen,
      [cf](Session& s) {
        v1::CreateAuctionRequest req;
        if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok()) return s.Usage(st.message());
        v1::Auction* a = req.mutable_auction();
        a->set_auction_id(cf->id);
        a->set_title(cf->title);
        a->set_order_id(cf->order);
        a->set_currency(cf->currency);
        for (const std::string& spec : cf->lots) {
          std::pair<std::string, std::string> kv = absl::StrSplit(spec, absl::MaxSplits('=', 1));
          auto price = kit::MoneyFlag("--lot", kv.second);
          if (kv.first.empty() || !price.ok()) {
            return s.Usage(
                absl::StrCat("--lot wants LOT_ID=RESERVE_PRICE_PER_T, got '", spec, "'"));
          }
          v1::AuctionLot* l = a->add_lots();
          l->set_lot_id(kv.first);
          l->set_reserve_price_minor_per_t(*price);
        }
        auto cutoff = kit::DateFlag("--cutoff", cf->cutoff);
        if (!cutoff.ok()) return s.Usage(cutoff.status().message());
        *a->mutable_eligibility_cutoff() = *cutoff;
        auto deposit = kit::MoneyFlag("--deposit", cf->deposit);
        if (!deposit.ok()) return s.Usage(deposit.status().message());
        a->set_deposit_minor(*deposit);
        auto cap = kit::TonnesFlag("--cap-t", cf->cap);
        if (!cap.ok()) return s.Usage(cap.status().message());
        a->set_bidder_cap_g(*cap);
        auto opens = InstantMs("--opens", cf->opens);
        if (!opens.ok()) return s.Usage(opens.status().message());
        auto closes = InstantMs("--closes", cf->closes);
        if (!closes.ok()) return s.Usage(closes.status().message());
        a->set_bidding_opens_at_ms(*opens);
        a->set_bidding_closes_at_ms(*closes);
        a->set_payment_days(cf->payment_days);
        a->set_pickup_days(cf->pickup_days);
        auto r = kit::Call(s, &S::CreateAuction, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(AuctionDetailColumns(), r->auction()),
                       {true, kit::CommitLine(r->commit())});
      });
  kit::AddMutationFlags(create, &cf->m, true);
  create->add_option("--id", cf->id, "auction id")->required();
  create->add_option("--title", cf->title, "title")->required();
  create->add_option("--order", cf->order, "the approved release order it executes")->required();
  create->add_option("--lot", cf->lots, "LOT_ID=RESERVE_PRICE_PER_T in yuan (repeatable)")
      ->required();
  create
      ->add_option("--cutoff", cf->cutoff,
                   "bidders must be manufacturers registered before this date")
      ->required();
  create->add_option("--deposit", cf->deposit, "deposit per bidder, yuan")->required();
  create->add_option("--cap-t", cf->cap, "most one bidder may win, tonnes")->required();
  create->add_option("--opens", cf->opens, "bidding opens: now, +DURATION or RFC 3339")->required();
  create->add_option("--closes", cf->closes, "bidding closes: now, +DURATION or RFC 3339")
      ->required();
  create->add_option("--payment-days", cf->payment_days, "days to pay after clearing")
      ->capture_default_str();
  create->add_option("--pickup-days", cf->pickup_days, "days to collect after clearing")
      ->capture_default_str();
  create->add_option("--currency", cf->currency, "currency")->capture_default_str();

  kit::ShowLeaf(auctions, "get", "Show an auction", chosen, &S::GetAuction,
                &v1::GetAuctionRequest::mutable_auction_id, "auction_id", "auction id",
                AuctionDetailColumns());

  auto page = std::make_shared<kit::PageFlags>();
  kit::AddPageFlags(Leaf(auctions, "list", "List auctions", chosen,
                         [page](Session& s) {
                           auto r = kit::ListPages(s, &S::ListAuctions, v1::ListAuctionsRequest(),
                                                   *page);
                           if (!r.ok()) return s.Fail(r.status());
                           return s.Print(*r, MakeTable(AuctionColumns(), r->auctions()),
                                          {false, kit::MoreLine(r->next_page_token())});
                         }),
                    page.get());

  struct RegisterFlags {
    AuctionFlags a;
    std::string company, group, registered_on, deposit;
    bool not_manufacturer = false, no_resale = false;
  };
  auto rf = std::make_shared<RegisterFlags>();
  CLI::App* reg = AuctionLeaf(
      auctions, "register",
      "Register a bidder: a manufacturer registered before the cut-off, one per group, with "
      "its deposit and no-resale commitment (admin)",
      chosen, &rf->a,
      [rf](Session& s) {
        v1::RegisterBidderRequest req;
        if (auto st = kit::ApplyMutationFlags(rf->a.m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_auction_id(rf->a.auction);
        v1::Bidder* b = req.mutable_bidder();
        b->set_bidder_id(rf->a.bidder);
        b->set_company(rf->company);
        b->set_corporate_group_id(rf->group);
        b->set_manufacturer(!rf->not_manufacturer);
        auto d = kit::DateFlag("--registered-on", rf->registered_on);
        if (!d.ok()) return s.Usage(d.status().message());
        *b->mutable_company_registered_on() = *d;
        auto deposit = kit::MoneyFlag("--deposit", rf->deposit);
        if (!deposit.ok()) return s.Usage(deposit.status().message());
        b->set_deposit_minor(*deposit);
        b->set_accepts_no_resale(rf->no_resale);
        auto r = kit::Call(s, &S::RegisterBidder, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(BidderColumns(), r->bidder()),
                       {false, kit::CommitLine(r->commit())});
      },
      true, true);
  reg->add_option("--company", rf->company, "company name")->required();
  reg->add_option("--group", rf->group, "corporate group id (a company without one: itself)")
      ->required();
  reg->add_option("--registered-on", rf->registered_on, "company registration date")->required();
  reg->add_option("--deposit", rf->deposit, "deposit paid, yuan")->required();
  reg->add_flag("--not-manufacturer", rf->not_manufacturer, "the company is not a manufacturer");
  reg->add_flag("--accept-no-resale", rf->no_resale, "the buyer commits not to resell");

  struct BiddersFlags {
    AuctionFlags a;
    kit::PageFlags page;
  };
  auto lbf = std::make_shared<BiddersFlags>();
  kit::AddPageFlags(AuctionLeaf(
                        auctions, "bidders", "List an auction's bidders", chosen, &lbf->a,
                        [lbf](Session& s) {
                          v1::ListBiddersRequest req;
                          req.set_auction_id(lbf->a.auction);
                          auto r = kit::ListPages(s, &S::ListBidders, req, lbf->page);
                          if (!r.ok()) return s.Fail(r.status());
                          return s.Print(*r, MakeTable(BidderColumns(), r->bidders()),
                                         {false, kit::MoreLine(r->next_page_token())});
                        },
                        false, false),
                    &lbf->page);

  struct BidFlags {
    AuctionFlags a;
    std::string lot, price;
  };
  auto bf = std::make_shared<BidFlags>();
  CLI::App* bid = AuctionLeaf(
      auctions, "bid", "Place (or raise) a bidder's bid on a lot (admin)", chosen, &bf->a,
      [bf](Session& s) {
        v1::PlaceBidRequest req;
        if (auto st = kit::ApplyMutationFlags(bf->a.m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        auto price = kit::MoneyFlag("--price-per-t", bf->price);
        if (!price.ok()) return s.Usage(price.status().message());
        req.mutable_bid()->set_auction_id(bf->a.auction);
        req.mutable_bid()->set_bidder_id(bf->a.bidder);
        req.mutable_bid()->set_lot_id(bf->lot);
        req.mutable_bid()->set_price_minor_per_t(*price);
        auto r = kit::Call(s, &S::PlaceBid, req);
        if (!r.ok()) return s.Fail(r.status());
        using B = v1::Bid;
        Columns<B> cols = {
            {"bidder_id", [](const B& b) { return b.bidder_id(); }},
            {"lot_id", [](const B& b) { return b.lot_id(); }},
            {"price_per_t", [](const B& b) { return Money(b.price_minor_per_t()); }, Align::kRight},
            {"placed_at", [](const B& b) { return Instant(b.placed_at_ms()); }},
        };
        return s.Print(*r, MakeTable(cols, r->bid()), {false, kit::CommitLine(r->commit())});
      },
      true, true);
  bid->add_option("--lot", bf->lot, "lot id")->required();
  bid->add_option("--price-per-t", bf->price, "yuan per tonne")->required();

  auto clf = std::make_shared<AuctionFlags>();
  AuctionLeaf(
      auctions, "clear", "After the window: close bidding, clear by price then time, award (admin)",
      chosen, clf.get(),
      [clf](Session& s) {
        v1::ClearAuctionRequest req;
        if (auto st = kit::ApplyMutationFlags(clf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_auction_id(clf->auction);
        auto r = kit::Call(s, &S::ClearAuction, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(
            *r, MakeTable(AwardColumns(), r->result().awards()),
            {false, absl::StrCat(ResultTrailer(r->result()), "\n", kit::CommitLine(r->commit()))});
      },
      true, false);

  auto grf = std::make_shared<AuctionFlags>();
  AuctionLeaf(
      auctions, "result", "Awards, settlements and deliveries of a cleared auction", chosen,
      grf.get(),
      [grf](Session& s) {
        v1::GetAuctionResultRequest req;
        req.set_auction_id(grf->auction);
        auto r = kit::Call(s, &S::GetAuctionResult, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(AwardColumns(), r->result().awards()),
                       {false, ResultTrailer(r->result())});
      },
      false, false);

  auto vf = std::make_shared<AuctionFlags>();
  AuctionLeaf(
      auctions, "verify", "Recompute the result from the journal and compare", chosen, vf.get(),
      [vf](Session& s) {
        v1::VerifyAuctionResultRequest req;
        req.set_auction_id(vf->auction);
        auto r = kit::Call(s, &S::VerifyAuctionResult, req);
        if (!r.ok()) return s.Fail(r.status());
        using V = v1::VerifyAuctionResultResponse;
        Columns<V> cols = {
            {"matches", [](const V& v) { return Bool(v.matches()); }},
            {"awards", [](const V& v) { return absl::StrCat(v.recomputed().awards_size()); }},
            {"journal_entries_read",
             [](const V& v) { return absl::StrCat(v.journal_entries_read()); }},
            {"difference", [](const V& v) { return v.difference(); }},
        };
        s.Print(*r, MakeTable(cols, *r));
        return r->matches() ? kExitOk : kExitFailure;
      },
      false, false);

  struct PayFlags {
    AuctionFlags a;
    std::string amount;
  };
  auto pf = std::make_shared<PayFlags>();
  AuctionLeaf(
      auctions, "pay", "Record a buyer's payment: the amount due less the deposit (admin)", chosen,
      &pf->a,
      [pf](Session& s) {
        v1::RecordPaymentRequest req;
        if (auto st = kit::ApplyMutationFlags(pf->a.m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        auto amount = kit::MoneyFlag("--amount", pf->amount);
        if (!amount.ok()) return s.Usage(amount.status().message());
        req.set_auction_id(pf->a.auction);
        req.set_bidder_id(pf->a.bidder);
        req.set_amount_minor(*amount);
        auto r = kit::Call(s, &S::RecordPayment, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(SettlementColumns(), r->settlement()),
                       {false, kit::CommitLine(r->commit())});
      },
      true, true)
      ->add_option("--amount", pf->amount, "yuan received")
      ->required();

  auto ff = std::make_shared<AuctionFlags>();
  AuctionLeaf(
      auctions, "forfeit",
      "After the payment deadline: keep the deposit, return the lots to stock (admin)", chosen,
      ff.get(),
      [ff](Session& s) {
        v1::ForfeitAwardRequest req;
        if (auto st = kit::ApplyMutationFlags(ff->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_auction_id(ff->auction);
        req.set_bidder_id(ff->bidder);
        auto r = kit::Call(s, &S::ForfeitAward, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(SettlementColumns(), r->settlement()),
                       {false, kit::CommitLine(r->commit())});
      },
      true, true);

  struct DeliverFlags {
    AuctionFlags a;
    std::vector<std::string> lots;
  };
  auto df = std::make_shared<DeliverFlags>();
  AuctionLeaf(
      auctions, "deliver",
      "Release a paid buyer's lots through inventory, lifting the earmark (admin)", chosen, &df->a,
      [df](Session& s) {
        v1::DeliverLotsRequest req;
        if (auto st = kit::ApplyMutationFlags(df->a.m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_auction_id(df->a.auction);
        req.set_bidder_id(df->a.bidder);
        for (const std::string& l : df->lots) req.add_lot_ids(l);
        auto r = kit::Call(s, &S::DeliverLots, req);
        if (!r.ok()) return s.Fail(r.status());
        using L = v1::Lot;
        Columns<L> cols = {
            {"lot_id", [](const L& l) { return l.lot_id(); }},
            {"net_t", [](const L& l) { return Tonnes(l.net_mass_g()); }, Align::kRight},
            {"status", [](const L& l) { return EnumName(v1::LotStatus_descriptor(), l.status()); }},
            {"released_to", [](const L& l) { return l.released_to(); }},
        };
        return s.Print(*r, MakeTable(cols, r->lots()),
                       {false, absl::StrCat("released ", Tonnes(r->released_mass_g()), " t",
                                            r->late() ? " (after the pick-up deadline)" : "", "; ",
                                            kit::CommitLine(r->commit()))});
      },
      true, true)
      ->add_option("--lot", df->lots, "only these lots (repeatable; default: all awarded)");
}

}  // namespace reserve::ctl
