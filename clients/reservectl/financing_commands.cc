// reservectl commands for banks (FinancingService: verify, pledge, repay, enforce, consent,
// exposure, events) and finance's totals.
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/reservectl/command_kit.h"
#include "clients/reservectl/decimal.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {
namespace {

using kit::CommitLine;
using kit::Leaf;
using kit::MoreLine;
using kit::MutationFlags;
using Stub = v1::FinancingService::Stub;

// Bounds `bank events` without --follow: it stops at the head anyway; this caps a huge one.
constexpr uint32_t kMaxEventsPrinted = 100'000;

// An LTV or rate in basis points as a percentage; INT64_MAX is the LTV of collateral worth
// nothing.
std::string Bp(int64_t bp) {
  if (bp == std::numeric_limits<int64_t>::max()) return "infinite";
  return absl::StrCat(FormatScaled(bp, 2, 2), "%");
}

const Columns<v1::Pledge>& PledgeColumns() {
  static const Columns<v1::Pledge> c = {
      {"pledge_id", [](const v1::Pledge& p) { return p.pledge_id(); }},
      {"borrower", [](const v1::Pledge& p) { return p.borrower_enterprise_id(); }},
      {"lots", [](const v1::Pledge& p) { return absl::StrJoin(p.lot_ids(), ","); }},
      {"metal", [](const v1::Pledge& p) { return p.metal(); }},
      {"collateral_t", [](const v1::Pledge& p) { return Tonnes(p.collateral_mass_g()); },
       Align::kRight},
      {"principal", [](const v1::Pledge& p) { return Money(p.principal_minor()); }, Align::kRight},
      {"currency", [](const v1::Pledge& p) { return p.currency(); }},
      {"maturity", [](const v1::Pledge& p) { return FormatDate(p.maturity_date()); }},
      {"max_ltv", [](const v1::Pledge& p) { return Bp(p.max_ltv_bp()); }, Align::kRight},
      {"call_ltv", [](const v1::Pledge& p) { return Bp(p.margin_call_ltv_bp()); }, Align::kRight},
      {"marked_ltv", [](const v1::Pledge& p) { return Bp(p.marked_ltv_bp()); }, Align::kRight},
      {"margin_call", [](const v1::Pledge& p) { return Bool(p.in_margin_call()); }},
      {"status",
       [](const v1::Pledge& p) { return EnumName(v1::PledgeStatus_descriptor(), p.status()); }},
      {"agreement", [](const v1::Pledge& p) { return p.agreement_id(); }},
  };
  return c;
}

void PrintPledge(Session& s, const v1::PledgeResponse& r) {
  Emit(s.format, r, MakeTable(PledgeColumns(), r.pledge()), s.out,
       {true, absl::StrCat("LTV ", Bp(r.ltv_bp()), "; ", CommitLine(r.commit()))});
}

// "SEQ" or "SEQ.INDEX" -> the cursor.
absl::Status ParseCursor(const std::string& text, uint64_t* seq, uint32_t* index) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  if (parts.empty() || parts.size() > 2 || !absl::SimpleAtoi(parts[0], seq) ||
      (parts.size() == 2 && !absl::SimpleAtoi(parts[1], index))) {
    return absl::InvalidArgumentError(absl::StrCat("--after: '", text, "' is not SEQ[.INDEX]"));
  }
  return absl::OkStatus();
}

void AddBankQueries(CLI::App* bank, Action* chosen) {
  struct VerifyFlags {
    std::vector<std::string> lots;
    std::string borrower;
  };
  auto vf = std::make_shared<VerifyFlags>();
  CLI::App* verify = Leaf(
      bank, "verify",
      "Do these lots exist, what are they, and are they free to pledge? (never says who lends)",
      chosen, [vf](Session& s) {
        v1::VerifyLotsRequest req;
        for (const std::string& l : vf->lots) req.add_lot_ids(l);
        req.set_borrower_enterprise_id(vf->borrower);
        auto r = kit::Call(s, &Stub::VerifyLots, req);
        if (!r.ok()) return s.Fail(r.status());
        using V = v1::LotVerification;
        Columns<V> cols = {
            {"lot_id", [](const V& v) { return v.lot_id(); }},
            {"pledgeable",
             [](const V& v) {
               return EnumName(v1::Pledgeability_descriptor(), v.pledgeability());
             }},
            {"metal", [](const V& v) { return v.metal(); }},
            {"grade", [](const V& v) { return v.grade(); }},
            {"net_t", [](const V& v) { return v.metal().empty() ? "" : Tonnes(v.net_mass_g()); },
             Align::kRight},
            {"depot", [](const V& v) { return v.depot_id(); }},
            {"depot_pledge_ok",
             [](const V& v) {
               return v.metal().empty() ? "" : Bool(v.depot_approved_for_pledge());
             }},
        };
        return s.Print(*r, MakeTable(cols, r->lots()),
                       {false, absl::StrCat("as of journal seq ", r->as_of_seq())});
      });
  verify->add_option("lot_ids", vf->lots, "lot ids")->required();
  verify->add_option("--borrower", vf->borrower, "also check the lots are this enterprise's");

  struct ListFlags {
    kit::PageFlags page;
    std::string status;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(bank, "pledges", "List your pledges", chosen, [lf](Session& s) {
    v1::ListPledgesRequest req;
    if (!lf->status.empty()) {
      auto status = kit::EnumFlag<v1::PledgeStatus>("--status", lf->status);
      if (!status.ok()) return s.Usage(status.status().message());
      req.set_status(*status);
    }
    auto r = kit::ListPages(s, &Stub::ListPledges, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(PledgeColumns(), r->pledges()),
                   {false, MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page, false);
  list->add_option("--status", lf->status, EnumChoices(v1::PledgeStatus_descriptor()));

  kit::ShowLeaf(bank, "get", "Show one of your pledges", chosen, &Stub::GetPledge,
                &v1::GetPledgeRequest::mutable_pledge_id, "pledge_id", "pledge id",
                PledgeColumns());

  Leaf(bank, "exposure", "Your active pledges valued at the latest marked price", chosen,
       [](Session& s) {
         auto r = kit::Call(s, &Stub::GetExposure, v1::GetExposureRequest());
         if (!r.ok()) return s.Fail(r.status());
         using E = v1::ExposureRow;
         Columns<E> cols = {
             {"pledge_id", [](const E& e) { return e.pledge_id(); }},
             {"metal", [](const E& e) { return e.metal(); }},
             {"collateral_t", [](const E& e) { return Tonnes(e.collateral_mass_g()); },
              Align::kRight},
             {"price_per_t",
              [](const E& e) { return e.priced() ? Money(e.price_minor_per_t()) : ""; },
              Align::kRight},
             {"price_date", [](const E& e) { return FormatDate(e.price_date()); }},
             {"value",
              [](const E& e) { return e.priced() ? Money(e.collateral_value_minor()) : ""; },
              Align::kRight},
             {"principal", [](const E& e) { return Money(e.principal_minor()); }, Align::kRight},
             {"ltv", [](const E& e) { return e.priced() ? Bp(e.ltv_bp()) : ""; }, Align::kRight},
             {"call_ltv", [](const E& e) { return Bp(e.margin_call_ltv_bp()); }, Align::kRight},
             {"margin_call", [](const E& e) { return Bool(e.in_margin_call()); }},
             {"currency", [](const E& e) { return e.currency(); }},
         };
         return s.Print(*r, MakeTable(cols, r->rows()),
                        {false, absl::StrCat("as of journal seq ", r->as_of_seq())});
       });

  struct EventFlags {
    std::string after;
    bool follow = false;
    uint32_t max = 0;
  };
  auto ef = std::make_shared<EventFlags>();
  CLI::App* events =
      Leaf(bank, "events",
           "Your pledges' events from a cursor: created, margin call, call-up, released, enforced",
           chosen, [ef](Session& s) {
             v1::WatchEventsRequest req;
             uint64_t seq = 0;
             uint32_t index = 0;
             if (!ef->after.empty()) {
               if (absl::Status st = ParseCursor(ef->after, &seq, &index); !st.ok()) {
                 return s.Usage(st.message());
               }
             }
             req.set_after_seq(seq);
             req.set_after_index(index);
             req.set_follow(ef->follow);
             req.set_max_events(ef->max != 0 ? ef->max : (ef->follow ? 0 : kMaxEventsPrinted));
             absl::StatusOr<Connection*> c = s.connection();
             if (!c.ok()) return s.Fail(c.status());
             auto ctx = (*c)->StreamContext(ef->follow);
             auto reader = (*c)->stub<Stub>().WatchEvents(ctx.get(), req);
             v1::PledgeEvent e;
             if (s.format == Format::kTable) {
               s.out << absl::StrFormat("%-10s  %-10s  %-11s  %s\n", "cursor", "date", "kind",
                                        "pledge_id");
             }
             while (reader->Read(&e)) {
               // One line per event, flushed, so a following reader sees each as it comes.
               if (s.format == Format::kJson) {
                 PrintJson(e, s.out);
               } else {
                 s.out << absl::StrFormat(
                     "%-10s  %-10s  %-11s  %s", absl::StrCat(e.seq(), ".", e.index()),
                     FormatDate(e.business_date()),
                     EnumName(v1::PledgeEventKind_descriptor(), e.kind()), e.pledge_id());
                 if (e.kind() == v1::PLEDGE_EVENT_KIND_MARGIN_CALL ||
                     e.kind() == v1::PLEDGE_EVENT_KIND_COLLATERAL_COUNTED)
                   s.out << "  ltv " << Bp(e.ltv_bp());
                 if (e.kind() == v1::PLEDGE_EVENT_KIND_COLLATERAL_COUNTED)
                   s.out << "  collateral " << e.pledge().collateral_mass_g() << " g";
                 if (e.kind() == v1::PLEDGE_EVENT_KIND_CALL_UP)
                   s.out << "  call-up " << e.call_up_id();
                 s.out << "\n";
               }
               s.out.flush();
             }
             absl::Status st = FromGrpcStatus(reader->Finish());
             if (!st.ok()) return s.Fail(st);
             return kExitOk;
           });
  events->add_option("--after", ef->after, "resume after this cursor SEQ[.INDEX] (default: all)");
  events->add_flag("--follow", ef->follow, "keep waiting for new events (Ctrl-C stops)");
  events->add_option("--max", ef->max, "stop after this many events");
}

void AddBankMutations(CLI::App* bank, Action* chosen) {
  struct PledgeFlags {
    MutationFlags m;
    std::string borrower, principal, currency = "CNY", maturity, reference;
    std::vector<std::string> lots;
    int64_t rate_bp = 0, max_ltv_bp = 0, margin_call_ltv_bp = 0;
  };
  auto pf = std::make_shared<PledgeFlags>();
  CLI::App* pledge =
      Leaf(bank, "pledge", "Register your lien on lots for a loan (fails if any lot is not free)",
           chosen, [pf](Session& s) {
             v1::CreatePledgeRequest req;
             if (auto st = kit::ApplyMutationFlags(pf->m, &req); !st.ok())
               return s.Usage(st.message());
             req.set_borrower_enterprise_id(pf->borrower);
             for (const std::string& l : pf->lots) req.add_lot_ids(l);
             auto principal = kit::MoneyFlag("--principal", pf->principal);
             if (!principal.ok()) return s.Usage(principal.status().message());
             req.set_principal_minor(*principal);
             req.set_currency(pf->currency);
             req.set_interest_rate_bp(pf->rate_bp);
             auto maturity = kit::DateFlag("--maturity", pf->maturity);
             if (!maturity.ok()) return s.Usage(maturity.status().message());
             *req.mutable_maturity_date() = *maturity;
             req.set_max_ltv_bp(pf->max_ltv_bp);
             req.set_margin_call_ltv_bp(pf->margin_call_ltv_bp);
             req.set_loan_reference(pf->reference);
             auto r = kit::Call(s, &Stub::CreatePledge, req);
             if (!r.ok()) return s.Fail(r.status());
             PrintPledge(s, *r);
             return kExitOk;
           });
  kit::AddMutationFlags(pledge, &pf->m);
  pledge->add_option("--borrower", pf->borrower, "the enterprise owning the lots")->required();
  pledge->add_option("--lot", pf->lots, "a lot (repeat; one metal)")->required();
  pledge->add_option("--principal", pf->principal, "loan amount, major units (exact, 2 decimals)")
      ->required();
  pledge->add_option("--currency", pf->currency, "loan currency (default CNY)");
  pledge->add_option("--rate-bp", pf->rate_bp, "interest rate, basis points a year");
  pledge->add_option("--maturity", pf->maturity, "maturity date YYYY-MM-DD")->required();
  pledge->add_option("--max-ltv-bp", pf->max_ltv_bp, "highest LTV at creation, e.g. 7000")
      ->required();
  pledge
      ->add_option("--margin-call-ltv-bp", pf->margin_call_ltv_bp,
                   "LTV that raises a margin call, e.g. 8500")
      ->required();
  pledge->add_option("--loan-reference", pf->reference, "your loan number");

  struct IdFlags {
    MutationFlags m;
    std::string id, reason, call_up;
  };
  auto rf = std::make_shared<IdFlags>();
  CLI::App* repay =
      Leaf(bank, "repay", "The loan is repaid: release the pledge", chosen, [rf](Session& s) {
        v1::RepayPledgeRequest req;
        if (auto st = kit::ApplyMutationFlags(rf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_pledge_id(rf->id);
        auto r = kit::Call(s, &Stub::RepayPledge, req);
        if (!r.ok()) return s.Fail(r.status());
        PrintPledge(s, *r);
        return kExitOk;
      });
  kit::AddMutationFlags(repay, &rf->m);
  repay->add_option("pledge_id", rf->id, "pledge id")->required();

  auto nf = std::make_shared<IdFlags>();
  CLI::App* enforce = Leaf(
      bank, "enforce",
      "Default (after maturity or in margin call): title to the lots passes to you, subject to "
      "the state's call-up right",
      chosen, [nf](Session& s) {
        v1::EnforcePledgeRequest req;
        if (auto st = kit::ApplyMutationFlags(nf->m, &req); !st.ok()) return s.Usage(st.message());
        req.set_pledge_id(nf->id);
        req.set_reason(nf->reason);
        auto r = kit::Call(s, &Stub::EnforcePledge, req);
        if (!r.ok()) return s.Fail(r.status());
        PrintPledge(s, *r);
        return kExitOk;
      });
  kit::AddMutationFlags(enforce, &nf->m);
  enforce->add_option("pledge_id", nf->id, "pledge id")->required();
  enforce->add_option("--reason", nf->reason, "why")->required();

  auto cf = std::make_shared<IdFlags>();
  CLI::App* consent = Leaf(bank, "consent", "Consent to a call-up taking your pledged lots", chosen,
                           [cf](Session& s) {
                             v1::ConsentToCallUpRequest req;
                             if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok()) {
                               return s.Usage(st.message());
                             }
                             req.set_pledge_id(cf->id);
                             req.set_call_up_id(cf->call_up);
                             auto r = kit::Call(s, &Stub::ConsentToCallUp, req);
                             if (!r.ok()) return s.Fail(r.status());
                             PrintPledge(s, *r);
                             return kExitOk;
                           });
  kit::AddMutationFlags(consent, &cf->m);
  consent->add_option("pledge_id", cf->id, "pledge id")->required();
  consent->add_option("--call-up", cf->call_up, "call-up id")->required();
}

}  // namespace

void AddFinancingCommands(CLI::App& app, Action* chosen) {
  CLI::App* bank = app.add_subcommand("bank", "For banks: verify lots, pledges, exposure, events");
  bank->require_subcommand(1);
  AddBankQueries(bank, chosen);
  AddBankMutations(bank, chosen);

  CLI::App* financing = app.add_subcommand("financing", "Financing totals across banks (finance)");
  financing->require_subcommand(1);
  Leaf(financing, "totals", "Active pledges, principal and collateral per metal; no bank named",
       chosen, [](Session& s) {
         auto r = kit::Call(s, &Stub::GetFinancingTotals, v1::GetFinancingTotalsRequest());
         if (!r.ok()) return s.Fail(r.status());
         using T = v1::FinancingTotalsRow;
         Columns<T> cols = {
             {"metal", [](const T& t) { return t.metal(); }},
             {"currency", [](const T& t) { return t.currency(); }},
             {"active", [](const T& t) { return absl::StrCat(t.active_pledges()); }, Align::kRight},
             {"principal", [](const T& t) { return Money(t.principal_minor()); }, Align::kRight},
             {"collateral_t", [](const T& t) { return Tonnes(t.collateral_mass_g()); },
              Align::kRight},
             {"in_margin_call", [](const T& t) { return absl::StrCat(t.in_margin_call()); },
              Align::kRight},
             {"enforced", [](const T& t) { return absl::StrCat(t.enforced_pledges()); },
              Align::kRight},
         };
         return s.Print(*r, MakeTable(cols, r->rows()),
                        {false, absl::StrCat("as of journal seq ", r->as_of_seq())});
       });
}

}  // namespace reserve::ctl
