// reservectl commands for the commercial reserve (CommercialReserveService): enterprises,
// agreements, compliance, subsidies, budgets, call-ups. The bank's are in
// financing_commands.cc.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/reservectl/command_kit.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {
namespace {

using kit::CommitLine;
using kit::Leaf;
using kit::MoreLine;
using kit::MutationFlags;
using Stub = v1::CommercialReserveService::Stub;

// ---- Columns ----

const Columns<v1::Enterprise>& EnterpriseColumns() {
  static const Columns<v1::Enterprise> c = {
      {"enterprise_id", [](const v1::Enterprise& e) { return e.enterprise_id(); }},
      {"name", [](const v1::Enterprise& e) { return e.name(); }},
      {"province", [](const v1::Enterprise& e) { return e.province(); }},
      {"metals", [](const v1::Enterprise& e) { return absl::StrJoin(e.metals(), ","); }},
      {"depots", [](const v1::Enterprise& e) { return absl::StrJoin(e.depot_ids(), ","); }},
      {"enrolled", [](const v1::Enterprise& e) { return FormatDate(e.enrolled_date()); }},
      {"subsidised_through",
       [](const v1::Enterprise& e) { return FormatDate(e.subsidised_through()); }},
  };
  return c;
}

const Columns<v1::Agreement>& AgreementColumns() {
  static const Columns<v1::Agreement> c = {
      {"agreement_id", [](const v1::Agreement& a) { return a.agreement_id(); }},
      {"enterprise", [](const v1::Agreement& a) { return a.enterprise_id(); }},
      {"metal", [](const v1::Agreement& a) { return a.metal(); }},
      {"committed_t", [](const v1::Agreement& a) { return Tonnes(a.committed_mass_g()); },
       Align::kRight},
      {"start", [](const v1::Agreement& a) { return FormatDate(a.start_date()); }},
      {"end", [](const v1::Agreement& a) { return FormatDate(a.end_date()); }},
      {"depots", [](const v1::Agreement& a) { return absl::StrJoin(a.depot_ids(), ","); }},
      {"storage_per_t_day",
       [](const v1::Agreement& a) { return Money(a.storage_subsidy_minor_per_t_per_day()); },
       Align::kRight},
      {"interest_bp", [](const v1::Agreement& a) { return absl::StrCat(a.interest_subsidy_bp()); },
       Align::kRight},
      {"notice_days", [](const v1::Agreement& a) { return absl::StrCat(a.call_up_notice_days()); },
       Align::kRight},
      {"price_rule",
       [](const v1::Agreement& a) {
         return a.call_up_price_rule() == v1::CALL_UP_PRICE_RULE_FIXED
                    ? absl::StrCat("fixed ", Money(a.call_up_price_minor_per_t()))
                    : absl::StrCat("market -", a.call_up_market_discount_bp(), "bp");
       }},
      {"bank_consent",
       [](const v1::Agreement& a) { return Bool(a.pledged_lots_need_bank_consent()); }},
      {"bank_first", [](const v1::Agreement& a) { return Bool(a.bank_paid_first()); }},
      {"currency", [](const v1::Agreement& a) { return a.currency(); }},
  };
  return c;
}

const Columns<v1::SubsidyStatement>& StatementColumns() {
  static const Columns<v1::SubsidyStatement> c = {
      {"statement_id", [](const v1::SubsidyStatement& s) { return s.statement_id(); }},
      {"from", [](const v1::SubsidyStatement& s) { return FormatDate(s.period_start()); }},
      {"to", [](const v1::SubsidyStatement& s) { return FormatDate(s.period_end()); }},
      {"total", [](const v1::SubsidyStatement& s) { return Money(s.total_minor()); },
       Align::kRight},
      {"currency", [](const v1::SubsidyStatement& s) { return s.currency(); }},
      {"status",
       [](const v1::SubsidyStatement& s) {
         return EnumName(v1::SubsidyStatementStatus_descriptor(), s.status());
       }},
      {"paid", [](const v1::SubsidyStatement& s) { return FormatDate(s.paid_date()); }},
  };
  return c;
}

const Columns<v1::SubsidyLine>& LineColumns() {
  static const Columns<v1::SubsidyLine> c = {
      {"agreement_id", [](const v1::SubsidyLine& l) { return l.agreement_id(); }},
      {"metal", [](const v1::SubsidyLine& l) { return l.metal(); }},
      {"days", [](const v1::SubsidyLine& l) { return absl::StrCat(l.days_in_term()); },
       Align::kRight},
      {"held_t_days", [](const v1::SubsidyLine& l) { return Tonnes(l.held_gram_days()); },
       Align::kRight},
      {"storage", [](const v1::SubsidyLine& l) { return Money(l.storage_subsidy_minor()); },
       Align::kRight},
      {"principal_days", [](const v1::SubsidyLine& l) { return Money(l.financed_minor_days()); },
       Align::kRight},
      {"interest", [](const v1::SubsidyLine& l) { return Money(l.interest_subsidy_minor()); },
       Align::kRight},
  };
  return c;
}

const Columns<v1::CallUp>& CallUpColumns() {
  static const Columns<v1::CallUp> c = {
      {"call_up_id", [](const v1::CallUp& x) { return x.call_up_id(); }},
      {"agreement", [](const v1::CallUp& x) { return x.agreement_id(); }},
      {"enterprise", [](const v1::CallUp& x) { return x.enterprise_id(); }},
      {"metal", [](const v1::CallUp& x) { return x.metal(); }},
      {"quantity_t", [](const v1::CallUp& x) { return Tonnes(x.quantity_g()); }, Align::kRight},
      {"issued", [](const v1::CallUp& x) { return FormatDate(x.issued_date()); }},
      {"due", [](const v1::CallUp& x) { return FormatDate(x.due_date()); }},
      {"price_per_t", [](const v1::CallUp& x) { return Money(x.price_minor_per_t()); },
       Align::kRight},
      {"delivered_t", [](const v1::CallUp& x) { return Tonnes(x.delivered_g()); }, Align::kRight},
      {"late_t", [](const v1::CallUp& x) { return Tonnes(x.delivered_late_g()); }, Align::kRight},
      {"paid", [](const v1::CallUp& x) { return Money(x.paid_minor()); }, Align::kRight},
      {"status",
       [](const v1::CallUp& x) { return EnumName(v1::CallUpStatus_descriptor(), x.status()); }},
      {"pledges_told",
       [](const v1::CallUp& x) { return absl::StrCat(x.affected_pledge_ids_size()); },
       Align::kRight},
  };
  return c;
}

const Columns<v1::CallUpDelivery>& DeliveryColumns() {
  using D = v1::CallUpDelivery;
  static const Columns<D> c = {
      {"lot_id", [](const D& d) { return d.lot_id(); }},
      {"mass_t", [](const D& d) { return Tonnes(d.mass_g()); }, Align::kRight},
      {"date", [](const D& d) { return FormatDate(d.business_date()); }},
      {"late", [](const D& d) { return Bool(d.late()); }},
      {"bank", [](const D& d) { return d.bank_id(); }},
      {"to_bank", [](const D& d) { return Money(d.paid_to_bank_minor()); }, Align::kRight},
      {"to_enterprise", [](const D& d) { return Money(d.paid_to_enterprise_minor()); },
       Align::kRight},
  };
  return c;
}

// ---- enterprises ----

void AddEnterprises(CLI::App& app, Action* chosen) {
  CLI::App* group =
      app.add_subcommand("enterprises", "Pilot enterprises holding commercial reserves");
  group->require_subcommand(1);

  struct EnrolFlags {
    MutationFlags m;
    std::string id, name, province;
    std::vector<std::string> metals, depots;
  };
  auto ef = std::make_shared<EnrolFlags>();
  CLI::App* enrol =
      Leaf(group, "enrol", "Enrol an enterprise in the pilot (admin)", chosen, [ef](Session& s) {
        v1::EnrolEnterpriseRequest req;
        if (auto st = kit::ApplyMutationFlags(ef->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        v1::Enterprise* e = req.mutable_enterprise();
        e->set_enterprise_id(ef->id);
        e->set_name(ef->name);
        e->set_province(ef->province);
        for (const std::string& m : ef->metals) {
          e->add_metals(absl::AsciiStrToUpper(m));
        }
        for (const std::string& d : ef->depots) e->add_depot_ids(d);
        auto r = kit::Call(s, &Stub::EnrolEnterprise, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(EnterpriseColumns(), r->enterprise()),
                       {true, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(enrol, &ef->m);
  enrol
      ->add_option("enterprise_id", ef->id,
                   "the enterprise's id (its principal is enterprise:<id>)")
      ->required();
  enrol->add_option("--name", ef->name, "name")->required();
  enrol->add_option("--province", ef->province, "province")->required();
  enrol->add_option("--metal", ef->metals, "a metal it stores (repeat)")->required();
  enrol->add_option("--depot", ef->depots, "a warehouse it uses (repeat)")->required();

  kit::ShowLeaf(group, "get", "Show one enterprise", chosen, &Stub::GetEnterprise,
                &v1::GetEnterpriseRequest::mutable_enterprise_id, "enterprise_id", "enterprise id",
                EnterpriseColumns());

  auto page = std::make_shared<kit::PageFlags>();
  kit::AddPageFlags(Leaf(group, "list", "List enrolled enterprises", chosen,
                         [page](Session& s) {
                           auto r = kit::ListPages(s, &Stub::ListEnterprises,
                                                   v1::ListEnterprisesRequest(), *page);
                           if (!r.ok()) return s.Fail(r.status());
                           return s.Print(*r, MakeTable(EnterpriseColumns(), r->enterprises()),
                                          {false, MoreLine(r->next_page_token())});
                         }),
                    page.get(), false);
}

// ---- agreements ----

void AddAgreements(CLI::App& app, Action* chosen) {
  CLI::App* group = app.add_subcommand("agreements", "Commercial-reserve agreements");
  group->require_subcommand(1);

  struct CreateFlags {
    MutationFlags m;
    std::string id, enterprise, metal, start, end, currency = "CNY";
    kit::MassFlags committed;
    std::vector<std::string> depots;
    std::string storage = "0", call_up_price;
    int64_t interest_bp = 0, discount_bp = 0;
    int notice_days = 0;
    std::string price_rule;
    bool consent = false, bank_first = false;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create = Leaf(group, "create", "Create an agreement (admin)", chosen, [cf](Session& s) {
    v1::CreateAgreementRequest req;
    if (auto st = kit::ApplyMutationFlags(cf->m, &req); !st.ok()) return s.Usage(st.message());
    v1::Agreement* a = req.mutable_agreement();
    a->set_agreement_id(cf->id);
    a->set_enterprise_id(cf->enterprise);
    a->set_metal(absl::AsciiStrToUpper(cf->metal));
    auto mass = kit::PositiveMass(cf->committed);
    if (!mass.ok()) return s.Usage(mass.status().message());
    a->set_committed_mass_g(*mass);
    auto start = kit::DateFlag("--start", cf->start);
    auto end = kit::DateFlag("--end", cf->end);
    if (!start.ok()) return s.Usage(start.status().message());
    if (!end.ok()) return s.Usage(end.status().message());
    *a->mutable_start_date() = *start;
    *a->mutable_end_date() = *end;
    for (const std::string& d : cf->depots) a->add_depot_ids(d);
    a->set_currency(cf->currency);
    auto storage = kit::MoneyFlag("--storage-subsidy-per-t-day", cf->storage);
    if (!storage.ok()) return s.Usage(storage.status().message());
    a->set_storage_subsidy_minor_per_t_per_day(*storage);
    a->set_interest_subsidy_bp(cf->interest_bp);
    a->set_call_up_notice_days(cf->notice_days);
    auto rule = kit::EnumFlag<v1::CallUpPriceRule>("--price-rule", cf->price_rule);
    if (!rule.ok()) return s.Usage(rule.status().message());
    a->set_call_up_price_rule(*rule);
    if (!cf->call_up_price.empty()) {
      auto price = kit::MoneyFlag("--call-up-price-per-t", cf->call_up_price);
      if (!price.ok()) return s.Usage(price.status().message());
      a->set_call_up_price_minor_per_t(*price);
    }
    a->set_call_up_market_discount_bp(cf->discount_bp);
    a->set_pledged_lots_need_bank_consent(cf->consent);
    a->set_bank_paid_first(cf->bank_first);
    auto r = kit::Call(s, &Stub::CreateAgreement, req);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(AgreementColumns(), r->agreement()),
                   {true, CommitLine(r->commit())});
  });
  kit::AddMutationFlags(create, &cf->m);
  create->add_option("agreement_id", cf->id, "agreement id")->required();
  create->add_option("--enterprise", cf->enterprise, "enterprise id")->required();
  create->add_option("--metal", cf->metal, "metal code")->required();
  kit::AddMassFlags(create, "committed", "committed mass", &cf->committed);
  create->add_option("--start", cf->start, "first day of the term YYYY-MM-DD")->required();
  create->add_option("--end", cf->end, "last day of the term YYYY-MM-DD")->required();
  create->add_option("--depot", cf->depots, "an eligible warehouse (repeat)")->required();
  create->add_option("--currency", cf->currency, "currency of every amount (default CNY)");
  create->add_option("--storage-subsidy-per-t-day", cf->storage,
                     "storage subsidy per tonne per day, major units (exact, 2 decimals)");
  create->add_option("--interest-subsidy-bp", cf->interest_bp,
                     "interest subsidy, basis points a year on pledged principal");
  create->add_option("--notice-days", cf->notice_days, "call-up notice period in days");
  create
      ->add_option(
          "--price-rule", cf->price_rule,
          absl::StrCat("call-up price rule: ", EnumChoices(v1::CallUpPriceRule_descriptor())))
      ->required();
  create->add_option("--call-up-price-per-t", cf->call_up_price,
                     "fixed rule: the agreed price per tonne, major units");
  create->add_option("--market-discount-bp", cf->discount_bp,
                     "market rule: discount on the latest mark, basis points");
  create->add_flag("--bank-consent", cf->consent,
                   "a pledged lot is delivered on a call-up only with its bank's consent");
  create->add_flag("--bank-paid-first", cf->bank_first,
                   "a pledged lot's call-up proceeds pay its bank first, up to the principal");

  kit::ShowLeaf(group, "get", "Show one agreement", chosen, &Stub::GetAgreement,
                &v1::GetAgreementRequest::mutable_agreement_id, "agreement_id", "agreement id",
                AgreementColumns());

  struct ListFlags {
    kit::PageFlags page;
    std::string enterprise;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list =
      Leaf(group, "list", "List agreements (an enterprise sees its own)", chosen, [lf](Session& s) {
        v1::ListAgreementsRequest req;
        req.set_enterprise_id(lf->enterprise);
        auto r = kit::ListPages(s, &Stub::ListAgreements, req, lf->page);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(AgreementColumns(), r->agreements()),
                       {false, MoreLine(r->next_page_token())});
      });
  kit::AddPageFlags(list, &lf->page, false);
  list->add_option("--enterprise", lf->enterprise, "only this enterprise's");

  struct ExtendFlags {
    MutationFlags m;
    std::string id, to;
  };
  auto xf = std::make_shared<ExtendFlags>();
  CLI::App* extend =
      Leaf(group, "extend", "Extend an agreement's term (admin)", chosen, [xf](Session& s) {
        v1::ExtendAgreementRequest req;
        if (auto st = kit::ApplyMutationFlags(xf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_agreement_id(xf->id);
        auto to = kit::DateFlag("--to", xf->to);
        if (!to.ok()) return s.Usage(to.status().message());
        *req.mutable_new_end_date() = *to;
        auto r = kit::Call(s, &Stub::ExtendAgreement, req);
        if (!r.ok()) return s.Fail(r.status());
        return s.Print(*r, MakeTable(AgreementColumns(), r->agreement()),
                       {true, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(extend, &xf->m);
  extend->add_option("agreement_id", xf->id, "agreement id")->required();
  extend->add_option("--to", xf->to, "the new last day YYYY-MM-DD")->required();
}

// ---- compliance ----

void AddCompliance(CLI::App& app, Action* chosen) {
  struct Flags {
    std::string id, from, to;
    bool shortfall_only = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = Leaf(
      &app, "compliance",
      "Mass held per day in an agreement's warehouses against the commitment, from history", chosen,
      [f](Session& s) {
        v1::GetComplianceRequest req;
        req.set_agreement_id(f->id);
        auto from = kit::DateFlag("--from", f->from);
        auto to = kit::DateFlag("--to", f->to);
        if (!from.ok()) return s.Usage(from.status().message());
        if (!to.ok()) return s.Usage(to.status().message());
        *req.mutable_from_date() = *from;
        *req.mutable_to_date() = *to;
        auto r = kit::Call(s, &Stub::GetCompliance, req);
        if (!r.ok()) return s.Fail(r.status());
        std::vector<v1::ComplianceDay> days;
        for (const v1::ComplianceDay& d : r->days()) {
          if (!f->shortfall_only || d.shortfall_g() > 0) days.push_back(d);
        }
        using D = v1::ComplianceDay;
        Columns<D> cols = {
            {"date", [](const D& d) { return FormatDate(d.date()); }},
            {"held_t", [](const D& d) { return Tonnes(d.held_mass_g()); }, Align::kRight},
            {"committed_t", [](const D& d) { return Tonnes(d.committed_mass_g()); }, Align::kRight},
            {"shortfall_t", [](const D& d) { return Tonnes(d.shortfall_g()); }, Align::kRight},
        };
        Emit(s.format, *r, MakeTable(cols, days), s.out,
             {false,
              absl::StrCat(r->shortfall_dates_size(), " shortfall day(s) of ", r->days_in_term(),
                           " in the term; as of journal seq ", r->as_of_seq())});
        return kExitOk;
      });
  c->add_option("agreement_id", f->id, "agreement id")->required();
  c->add_option("--from", f->from, "first day YYYY-MM-DD")->required();
  c->add_option("--to", f->to, "last day YYYY-MM-DD")->required();
  c->add_flag("--shortfall-only", f->shortfall_only, "print only the days short of the commitment");
}

// ---- subsidies and budgets ----

int PrintStatement(Session& s, const google::protobuf::Message& whole,
                   const v1::SubsidyStatement& st, const std::string& trailer) {
  return kit::PrintWithLines(s, whole, MakeTable(StatementColumns(), st),
                             MakeTable(LineColumns(), st.lines()), trailer);
}

void AddSubsidies(CLI::App& app, Action* chosen) {
  CLI::App* group = app.add_subcommand("subsidies", "Subsidy statements: storage and interest");
  group->require_subcommand(1);

  struct IssueFlags {
    MutationFlags m;
    std::string enterprise, from, to;
  };
  auto f = std::make_shared<IssueFlags>();
  CLI::App* issue =
      Leaf(group, "issue",
           "Compute an enterprise's statement for a past period from balance history (admin)",
           chosen, [f](Session& s) {
             v1::IssueSubsidyStatementRequest req;
             if (auto st = kit::ApplyMutationFlags(f->m, &req); !st.ok())
               return s.Usage(st.message());
             req.set_enterprise_id(f->enterprise);
             auto from = kit::DateFlag("--from", f->from);
             auto to = kit::DateFlag("--to", f->to);
             if (!from.ok()) return s.Usage(from.status().message());
             if (!to.ok()) return s.Usage(to.status().message());
             *req.mutable_period_start() = *from;
             *req.mutable_period_end() = *to;
             auto r = kit::Call(s, &Stub::IssueSubsidyStatement, req);
             if (!r.ok()) return s.Fail(r.status());
             return PrintStatement(s, *r, r->statement(), CommitLine(r->commit()));
           });
  kit::AddMutationFlags(issue, &f->m);
  issue->add_option("--enterprise", f->enterprise, "enterprise id")->required();
  issue->add_option("--from", f->from, "first day of the period YYYY-MM-DD")->required();
  issue->add_option("--to", f->to, "last day of the period YYYY-MM-DD")->required();

  auto id = std::make_shared<std::string>();
  Leaf(group, "get", "Show a statement and its lines", chosen,
       [id](Session& s) {
         v1::GetSubsidyStatementRequest req;
         req.set_statement_id(*id);
         auto r = kit::Call(s, &Stub::GetSubsidyStatement, req);
         if (!r.ok()) return s.Fail(r.status());
         return PrintStatement(s, *r, *r, "");
       })
      ->add_option("statement_id", *id, "statement id (<enterprise>:<YYYYMMDD>-<YYYYMMDD>)")
      ->required();

  struct ListFlags {
    kit::PageFlags page;
    std::string enterprise;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(group, "list", "List an enterprise's statements", chosen, [lf](Session& s) {
    v1::ListSubsidyStatementsRequest req;
    req.set_enterprise_id(lf->enterprise);
    auto r = kit::ListPages(s, &Stub::ListSubsidyStatements, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(StatementColumns(), r->statements()),
                   {false, MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page, false);
  list->add_option("--enterprise", lf->enterprise, "enterprise id")->required();

  struct PayFlags {
    MutationFlags m;
    std::string id;
  };
  auto pf = std::make_shared<PayFlags>();
  CLI::App* pay = Leaf(group, "pay", "Pay a statement from the subsidy budget (admin)", chosen,
                       [pf](Session& s) {
                         v1::PaySubsidyStatementRequest req;
                         if (auto st = kit::ApplyMutationFlags(pf->m, &req); !st.ok()) {
                           return s.Usage(st.message());
                         }
                         req.set_statement_id(pf->id);
                         auto r = kit::Call(s, &Stub::PaySubsidyStatement, req);
                         if (!r.ok()) return s.Fail(r.status());
                         return PrintStatement(s, *r, r->statement(), CommitLine(r->commit()));
                       });
  kit::AddMutationFlags(pay, &pf->m);
  pay->add_option("statement_id", pf->id, "statement id")->required();
}

void AddBudget(CLI::App& app, Action* chosen) {
  CLI::App* group = app.add_subcommand(
      "commercial-budget", "The state's subsidy and call-up budgets for commercial reserves");
  group->require_subcommand(1);
  const Columns<v1::BudgetBalance> cols = {
      {"budget",
       [](const v1::BudgetBalance& b) { return EnumName(v1::Budget_descriptor(), b.budget()); }},
      {"currency", [](const v1::BudgetBalance& b) { return b.currency(); }},
      {"balance", [](const v1::BudgetBalance& b) { return Money(b.balance_minor()); },
       Align::kRight},
  };
  struct FundFlags {
    MutationFlags m;
    std::string budget, amount, currency = "CNY", memo;
  };
  auto ff = std::make_shared<FundFlags>();
  CLI::App* fund =
      Leaf(group, "fund", "Move money from the treasury into a budget (admin)", chosen,
           [ff, cols](Session& s) {
             v1::FundBudgetRequest req;
             if (auto st = kit::ApplyMutationFlags(ff->m, &req); !st.ok()) {
               return s.Usage(st.message());
             }
             auto budget = kit::EnumFlag<v1::Budget>("--budget", ff->budget);
             if (!budget.ok()) return s.Usage(budget.status().message());
             req.set_budget(*budget);
             auto amount = kit::MoneyFlag("--amount", ff->amount);
             if (!amount.ok()) return s.Usage(amount.status().message());
             req.set_amount_minor(*amount);
             req.set_currency(ff->currency);
             req.set_memo(ff->memo);
             auto r = kit::Call(s, &Stub::FundBudget, req);
             if (!r.ok()) return s.Fail(r.status());
             return s.Print(*r, MakeTable(cols, r->balance()), {false, CommitLine(r->commit())});
           });
  kit::AddMutationFlags(fund, &ff->m);
  fund->add_option("--budget", ff->budget, EnumChoices(v1::Budget_descriptor()))->required();
  fund->add_option("--amount", ff->amount, "amount in major units (exact, 2 decimals)")->required();
  fund->add_option("--currency", ff->currency, "currency (default CNY)");
  fund->add_option("--memo", ff->memo, "e.g. the appropriation");

  struct GetFlags {
    std::string budget, currency = "CNY";
  };
  auto gf = std::make_shared<GetFlags>();
  CLI::App* get = Leaf(group, "get", "A budget's balance", chosen, [gf, cols](Session& s) {
    v1::GetCommercialBudgetRequest req;
    auto budget = kit::EnumFlag<v1::Budget>("--budget", gf->budget);
    if (!budget.ok()) return s.Usage(budget.status().message());
    req.set_budget(*budget);
    req.set_currency(gf->currency);
    auto r = kit::Call(s, &Stub::GetBudget, req);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(cols, *r));
  });
  get->add_option("--budget", gf->budget, EnumChoices(v1::Budget_descriptor()))->required();
  get->add_option("--currency", gf->currency, "currency (default CNY)");
}

// ---- call-ups ----

void AddCallUps(CLI::App& app, Action* chosen) {
  CLI::App* group = app.add_subcommand("callups", "The state's call-ups of commercial reserves");
  group->require_subcommand(1);

  auto print = [](Session& s, const google::protobuf::Message& whole, const v1::CallUp& c,
                  const std::string& trailer) {
    return kit::PrintWithLines(s, whole, MakeTable(CallUpColumns(), c),
                               MakeTable(DeliveryColumns(), c.deliveries()), trailer);
  };

  struct IssueFlags {
    MutationFlags m;
    std::string id, agreement, state_owner, reason;
    kit::MassFlags quantity;
  };
  auto f = std::make_shared<IssueFlags>();
  CLI::App* issue = Leaf(group, "issue", "Order an enterprise to sell metal to the state (admin)",
                         chosen, [f, print](Session& s) {
                           v1::IssueCallUpRequest req;
                           if (auto st = kit::ApplyMutationFlags(f->m, &req); !st.ok()) {
                             return s.Usage(st.message());
                           }
                           req.set_call_up_id(f->id);
                           req.set_agreement_id(f->agreement);
                           auto q = kit::PositiveMass(f->quantity);
                           if (!q.ok()) return s.Usage(q.status().message());
                           req.set_quantity_g(*q);
                           req.set_state_owner(f->state_owner);
                           req.set_reason(f->reason);
                           auto r = kit::Call(s, &Stub::IssueCallUp, req);
                           if (!r.ok()) return s.Fail(r.status());
                           return print(s, *r, r->call_up(), CommitLine(r->commit()));
                         });
  kit::AddMutationFlags(issue, &f->m);
  issue->add_option("call_up_id", f->id, "call-up id")->required();
  issue->add_option("--agreement", f->agreement, "agreement id")->required();
  kit::AddMassFlags(issue, "quantity", "quantity", &f->quantity);
  issue->add_option("--state-owner", f->state_owner, "owner of the delivered lots, e.g. NFSRA")
      ->required();
  issue->add_option("--reason", f->reason, "why")->required();

  struct DeliverFlags {
    MutationFlags m;
    std::string id;
    std::vector<std::string> lots;
  };
  auto df = std::make_shared<DeliverFlags>();
  CLI::App* deliver = Leaf(group, "deliver", "Record whole lots delivered on a call-up (admin)",
                           chosen, [df, print](Session& s) {
                             v1::RecordCallUpDeliveryRequest req;
                             if (auto st = kit::ApplyMutationFlags(df->m, &req); !st.ok()) {
                               return s.Usage(st.message());
                             }
                             req.set_call_up_id(df->id);
                             for (const std::string& l : df->lots) req.add_lot_ids(l);
                             auto r = kit::Call(s, &Stub::RecordCallUpDelivery, req);
                             if (!r.ok()) return s.Fail(r.status());
                             return print(s, *r, r->call_up(), CommitLine(r->commit()));
                           });
  kit::AddMutationFlags(deliver, &df->m);
  deliver->add_option("call_up_id", df->id, "call-up id")->required();
  deliver->add_option("--lot", df->lots, "a lot delivered (repeat)")->required();

  auto id = std::make_shared<std::string>();
  Leaf(group, "get", "Show a call-up and its deliveries", chosen,
       [id, print](Session& s) {
         v1::GetCallUpRequest req;
         req.set_call_up_id(*id);
         auto r = kit::Call(s, &Stub::GetCallUp, req);
         if (!r.ok()) return s.Fail(r.status());
         return print(s, *r, *r, "");
       })
      ->add_option("call_up_id", *id, "call-up id")
      ->required();

  struct ListFlags {
    kit::PageFlags page;
    std::string agreement;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(group, "list", "List call-ups", chosen, [lf](Session& s) {
    v1::ListCallUpsRequest req;
    req.set_agreement_id(lf->agreement);
    auto r = kit::ListPages(s, &Stub::ListCallUps, req, lf->page);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(CallUpColumns(), r->call_ups()),
                   {false, MoreLine(r->next_page_token())});
  });
  kit::AddPageFlags(list, &lf->page, false);
  list->add_option("--agreement", lf->agreement, "only this agreement's");

  struct LiftFlags {
    MutationFlags m;
    std::string agreement;
  };
  auto xf = std::make_shared<LiftFlags>();
  CLI::App* lift = Leaf(
      group, "lift-rights",
      "After an agreement ends, lift the state's call-up right from lots banks took on default "
      "(admin)",
      chosen, [xf](Session& s) {
        v1::LiftCallUpRightsRequest req;
        if (auto st = kit::ApplyMutationFlags(xf->m, &req); !st.ok()) return s.Usage(st.message());
        req.set_agreement_id(xf->agreement);
        auto r = kit::Call(s, &Stub::LiftCallUpRights, req);
        if (!r.ok()) return s.Fail(r.status());
        Columns<std::string> cols = {{"lot_id", [](const std::string& l) { return l; }}};
        return s.Print(*r, MakeTable(cols, r->lot_ids()), {false, CommitLine(r->commit())});
      });
  kit::AddMutationFlags(lift, &xf->m);
  lift->add_option("agreement_id", xf->agreement, "agreement id")->required();
}

}  // namespace

void AddCommercialCommands(CLI::App& app, Action* chosen) {
  AddEnterprises(app, chosen);
  AddAgreements(app, chosen);
  AddCompliance(app, chosen);
  AddSubsidies(app, chosen);
  AddBudget(app, chosen);
  AddCallUps(app, chosen);
}

}  // namespace reserve::ctl
