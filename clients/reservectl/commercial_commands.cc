#include "clients/reservectl/commercial_commands.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/reservectl/decimal.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {

namespace cmd {

CLI::App* Leaf(CLI::App* parent, const std::string& name, const std::string& description,
               Action* chosen, Action action) {
  CLI::App* leaf = parent->add_subcommand(name, description);
  leaf->callback([chosen, action = std::move(action)] { *chosen = action; });
  return leaf;
}

void AddMutationFlags(CLI::App* cmd, MutationFlags* flags) {
  cmd->add_option("--request-id", flags->request_id,
                  "idempotency key; repeat it to retry safely (default: a fresh random id)");
  cmd->add_option("--date", flags->date, "business (effective) date YYYY-MM-DD (default: today)");
}

absl::StatusOr<v1::Date> DateFlag(const std::string& text, absl::string_view flag) {
  absl::StatusOr<v1::Date> d = ParseDate(text);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", d.status().message()));
  return d;
}

absl::StatusOr<int64_t> MoneyFlag(const std::string& text, absl::string_view flag) {
  absl::StatusOr<int64_t> v = ParseScaled(text, 2);
  if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", v.status().message()));
  return v;
}

absl::StatusOr<int64_t> MassFlag(const std::string& tonnes, int64_t grams, absl::string_view stem) {
  if (!tonnes.empty()) {
    absl::StatusOr<int64_t> g = TonnesToGrams(tonnes);
    if (!g.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", stem, "-t: ", g.status().message()));
    }
    if (*g <= 0)
      return absl::InvalidArgumentError(absl::StrCat("--", stem, "-t: must be positive"));
    return g;
  }
  if (grams <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("give --", stem, "-t or --", stem, "-g"));
  }
  return grams;
}

std::string CommitLine(const v1::CommitInfo& commit) {
  if (commit.replayed()) {
    return absl::StrCat("replayed: seq ", commit.seq(),
                        " (an earlier request with this id; nothing new was written)");
  }
  return absl::StrCat("committed: seq ", commit.seq());
}

std::string MoreLine(const std::string& token) {
  return token.empty() ? "" : absl::StrCat("more: --page-token ", token);
}

}  // namespace cmd

namespace {

using cmd::CommitLine;
using cmd::DateFlag;
using cmd::Leaf;
using cmd::MoreLine;
using cmd::MutationFlags;
using Stub = v1::CommercialReserveService::Stub;
template <typename Req, typename Resp>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

template <typename Req, typename Resp>
absl::StatusOr<Resp> Commercial(Session& s, Method<Req, Resp> method, const Req& request) {
  absl::StatusOr<Connection*> c = s.connection();
  if (!c.ok()) return c.status();
  Resp response;
  if (absl::Status st = (*c)->Call((*c)->commercial(), method, request, &response); !st.ok()) {
    return st;
  }
  return response;
}

struct PageFlags {
  int page_size = 0;
  std::string page_token;
};

void AddPageFlags(CLI::App* cmd, PageFlags* p) {
  cmd->add_option("--page-size", p->page_size, "rows per page (server default 100, max 1000)");
  cmd->add_option("--page-token", p->page_token, "continue from this token");
}

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
        if (auto st = cmd::ApplyMutationFlags(ef->m, &req); !st.ok()) {
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
        auto r = Commercial(s, &Stub::EnrolEnterprise, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(EnterpriseColumns(), r->enterprise()), s.out,
             {true, CommitLine(r->commit())});
        return kExitOk;
      });
  cmd::AddMutationFlags(enrol, &ef->m);
  enrol
      ->add_option("enterprise_id", ef->id,
                   "the enterprise's id (its principal is enterprise:<id>)")
      ->required();
  enrol->add_option("--name", ef->name, "name")->required();
  enrol->add_option("--province", ef->province, "province")->required();
  enrol->add_option("--metal", ef->metals, "a metal it stores (repeat)")->required();
  enrol->add_option("--depot", ef->depots, "a warehouse it uses (repeat)")->required();

  auto id = std::make_shared<std::string>();
  Leaf(group, "get", "Show one enterprise", chosen,
       [id](Session& s) {
         v1::GetEnterpriseRequest req;
         req.set_enterprise_id(*id);
         auto r = Commercial(s, &Stub::GetEnterprise, req);
         if (!r.ok()) return s.Fail(r.status());
         Emit(s.format, *r, MakeTable(EnterpriseColumns(), *r), s.out, {true, ""});
         return kExitOk;
       })
      ->add_option("enterprise_id", *id, "enterprise id")
      ->required();

  auto page = std::make_shared<PageFlags>();
  AddPageFlags(Leaf(group, "list", "List enrolled enterprises", chosen,
                    [page](Session& s) {
                      v1::ListEnterprisesRequest req;
                      req.set_page_size(page->page_size);
                      req.set_page_token(page->page_token);
                      auto r = Commercial(s, &Stub::ListEnterprises, req);
                      if (!r.ok()) return s.Fail(r.status());
                      Emit(s.format, *r, MakeTable(EnterpriseColumns(), r->enterprises()), s.out,
                           {false, MoreLine(r->next_page_token())});
                      return kExitOk;
                    }),
               page.get());
}

// ---- agreements ----

void AddAgreements(CLI::App& app, Action* chosen) {
  CLI::App* group = app.add_subcommand("agreements", "Commercial-reserve agreements");
  group->require_subcommand(1);

  struct CreateFlags {
    MutationFlags m;
    std::string id, enterprise, metal, committed_t, start, end, currency = "CNY";
    int64_t committed_g = 0;
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
    if (auto st = cmd::ApplyMutationFlags(cf->m, &req); !st.ok()) return s.Usage(st.message());
    v1::Agreement* a = req.mutable_agreement();
    a->set_agreement_id(cf->id);
    a->set_enterprise_id(cf->enterprise);
    a->set_metal(absl::AsciiStrToUpper(cf->metal));
    auto mass = cmd::MassFlag(cf->committed_t, cf->committed_g, "committed");
    if (!mass.ok()) return s.Usage(mass.status().message());
    a->set_committed_mass_g(*mass);
    auto start = DateFlag(cf->start, "--start");
    auto end = DateFlag(cf->end, "--end");
    if (!start.ok()) return s.Usage(start.status().message());
    if (!end.ok()) return s.Usage(end.status().message());
    *a->mutable_start_date() = *start;
    *a->mutable_end_date() = *end;
    for (const std::string& d : cf->depots) a->add_depot_ids(d);
    a->set_currency(cf->currency);
    auto storage = cmd::MoneyFlag(cf->storage, "--storage-subsidy-per-t-day");
    if (!storage.ok()) return s.Usage(storage.status().message());
    a->set_storage_subsidy_minor_per_t_per_day(*storage);
    a->set_interest_subsidy_bp(cf->interest_bp);
    a->set_call_up_notice_days(cf->notice_days);
    auto rule = ParseEnum(v1::CallUpPriceRule_descriptor(), cf->price_rule);
    if (!rule.ok()) return s.Usage(absl::StrCat("--price-rule: ", rule.status().message()));
    a->set_call_up_price_rule(static_cast<v1::CallUpPriceRule>(*rule));
    if (!cf->call_up_price.empty()) {
      auto price = cmd::MoneyFlag(cf->call_up_price, "--call-up-price-per-t");
      if (!price.ok()) return s.Usage(price.status().message());
      a->set_call_up_price_minor_per_t(*price);
    }
    a->set_call_up_market_discount_bp(cf->discount_bp);
    a->set_pledged_lots_need_bank_consent(cf->consent);
    a->set_bank_paid_first(cf->bank_first);
    auto r = Commercial(s, &Stub::CreateAgreement, req);
    if (!r.ok()) return s.Fail(r.status());
    Emit(s.format, *r, MakeTable(AgreementColumns(), r->agreement()), s.out,
         {true, CommitLine(r->commit())});
    return kExitOk;
  });
  cmd::AddMutationFlags(create, &cf->m);
  create->add_option("agreement_id", cf->id, "agreement id")->required();
  create->add_option("--enterprise", cf->enterprise, "enterprise id")->required();
  create->add_option("--metal", cf->metal, "metal code")->required();
  CLI::Option* t = create->add_option("--committed-t", cf->committed_t,
                                      "committed mass in tonnes (exact decimal)");
  create->add_option("--committed-g", cf->committed_g, "committed mass in grams")->excludes(t);
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

  auto id = std::make_shared<std::string>();
  Leaf(group, "get", "Show one agreement", chosen,
       [id](Session& s) {
         v1::GetAgreementRequest req;
         req.set_agreement_id(*id);
         auto r = Commercial(s, &Stub::GetAgreement, req);
         if (!r.ok()) return s.Fail(r.status());
         Emit(s.format, *r, MakeTable(AgreementColumns(), *r), s.out, {true, ""});
         return kExitOk;
       })
      ->add_option("agreement_id", *id, "agreement id")
      ->required();

  struct ListFlags {
    PageFlags page;
    std::string enterprise;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list =
      Leaf(group, "list", "List agreements (an enterprise sees its own)", chosen, [lf](Session& s) {
        v1::ListAgreementsRequest req;
        req.set_enterprise_id(lf->enterprise);
        req.set_page_size(lf->page.page_size);
        req.set_page_token(lf->page.page_token);
        auto r = Commercial(s, &Stub::ListAgreements, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(AgreementColumns(), r->agreements()), s.out,
             {false, MoreLine(r->next_page_token())});
        return kExitOk;
      });
  AddPageFlags(list, &lf->page);
  list->add_option("--enterprise", lf->enterprise, "only this enterprise's");

  struct ExtendFlags {
    MutationFlags m;
    std::string id, to;
  };
  auto xf = std::make_shared<ExtendFlags>();
  CLI::App* extend =
      Leaf(group, "extend", "Extend an agreement's term (admin)", chosen, [xf](Session& s) {
        v1::ExtendAgreementRequest req;
        if (auto st = cmd::ApplyMutationFlags(xf->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        req.set_agreement_id(xf->id);
        auto to = DateFlag(xf->to, "--to");
        if (!to.ok()) return s.Usage(to.status().message());
        *req.mutable_new_end_date() = *to;
        auto r = Commercial(s, &Stub::ExtendAgreement, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(AgreementColumns(), r->agreement()), s.out,
             {true, CommitLine(r->commit())});
        return kExitOk;
      });
  cmd::AddMutationFlags(extend, &xf->m);
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
        auto from = DateFlag(f->from, "--from");
        auto to = DateFlag(f->to, "--to");
        if (!from.ok()) return s.Usage(from.status().message());
        if (!to.ok()) return s.Usage(to.status().message());
        *req.mutable_from_date() = *from;
        *req.mutable_to_date() = *to;
        auto r = Commercial(s, &Stub::GetCompliance, req);
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

void PrintStatement(Session& s, const google::protobuf::Message& whole,
                    const v1::SubsidyStatement& st, const std::string& trailer) {
  if (s.format == Format::kJson) {
    PrintJson(whole, s.out);
    return;
  }
  Emit(s.format, whole, MakeTable(StatementColumns(), st), s.out, {true, ""});
  Emit(s.format, whole, MakeTable(LineColumns(), st.lines()), s.out, {false, trailer});
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
             if (auto st = cmd::ApplyMutationFlags(f->m, &req); !st.ok())
               return s.Usage(st.message());
             req.set_enterprise_id(f->enterprise);
             auto from = DateFlag(f->from, "--from");
             auto to = DateFlag(f->to, "--to");
             if (!from.ok()) return s.Usage(from.status().message());
             if (!to.ok()) return s.Usage(to.status().message());
             *req.mutable_period_start() = *from;
             *req.mutable_period_end() = *to;
             auto r = Commercial(s, &Stub::IssueSubsidyStatement, req);
             if (!r.ok()) return s.Fail(r.status());
             PrintStatement(s, *r, r->statement(), CommitLine(r->commit()));
             return kExitOk;
           });
  cmd::AddMutationFlags(issue, &f->m);
  issue->add_option("--enterprise", f->enterprise, "enterprise id")->required();
  issue->add_option("--from", f->from, "first day of the period YYYY-MM-DD")->required();
  issue->add_option("--to", f->to, "last day of the period YYYY-MM-DD")->required();

  auto id = std::make_shared<std::string>();
  Leaf(group, "get", "Show a statement and its lines", chosen,
       [id](Session& s) {
         v1::GetSubsidyStatementRequest req;
         req.set_statement_id(*id);
         auto r = Commercial(s, &Stub::GetSubsidyStatement, req);
         if (!r.ok()) return s.Fail(r.status());
         PrintStatement(s, *r, *r, "");
         return kExitOk;
       })
      ->add_option("statement_id", *id, "statement id (<enterprise>:<YYYYMMDD>-<YYYYMMDD>)")
      ->required();

  struct ListFlags {
    PageFlags page;
    std::string enterprise;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(group, "list", "List an enterprise's statements", chosen, [lf](Session& s) {
    v1::ListSubsidyStatementsRequest req;
    req.set_enterprise_id(lf->enterprise);
    req.set_page_size(lf->page.page_size);
    req.set_page_token(lf->page.page_token);
    auto r = Commercial(s, &Stub::ListSubsidyStatements, req);
    if (!r.ok()) return s.Fail(r.status());
    Emit(s.format, *r, MakeTable(StatementColumns(), r->statements()), s.out,
         {false, MoreLine(r->next_page_token())});
    return kExitOk;
  });
  AddPageFlags(list, &lf->page);
  list->add_option("--enterprise", lf->enterprise, "enterprise id")->required();

  struct PayFlags {
    MutationFlags m;
    std::string id;
  };
  auto pf = std::make_shared<PayFlags>();
  CLI::App* pay = Leaf(group, "pay", "Pay a statement from the subsidy budget (admin)", chosen,
                       [pf](Session& s) {
                         v1::PaySubsidyStatementRequest req;
                         if (auto st = cmd::ApplyMutationFlags(pf->m, &req); !st.ok()) {
                           return s.Usage(st.message());
                         }
                         req.set_statement_id(pf->id);
                         auto r = Commercial(s, &Stub::PaySubsidyStatement, req);
                         if (!r.ok()) return s.Fail(r.status());
                         PrintStatement(s, *r, r->statement(), CommitLine(r->commit()));
                         return kExitOk;
                       });
  cmd::AddMutationFlags(pay, &pf->m);
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
  CLI::App* fund = Leaf(
      group, "fund", "Move money from the treasury into a budget (admin)", chosen,
      [ff, cols](Session& s) {
        v1::FundBudgetRequest req;
        if (auto st = cmd::ApplyMutationFlags(ff->m, &req); !st.ok()) {
          return s.Usage(st.message());
        }
        auto budget = ParseEnum(v1::Budget_descriptor(), ff->budget);
        if (!budget.ok()) {
          return s.Usage(absl::StrCat("--budget: ", budget.status().message()));
        }
        req.set_budget(static_cast<v1::Budget>(*budget));
        auto amount = cmd::MoneyFlag(ff->amount, "--amount");
        if (!amount.ok()) return s.Usage(amount.status().message());
        req.set_amount_minor(*amount);
        req.set_currency(ff->currency);
        req.set_memo(ff->memo);
        auto r = Commercial(s, &Stub::FundBudget, req);
        if (!r.ok()) return s.Fail(r.status());
        Emit(s.format, *r, MakeTable(cols, r->balance()), s.out, {false, CommitLine(r->commit())});
        return kExitOk;
      });
  cmd::AddMutationFlags(fund, &ff->m);
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
    auto budget = ParseEnum(v1::Budget_descriptor(), gf->budget);
    if (!budget.ok()) return s.Usage(absl::StrCat("--budget: ", budget.status().message()));
    req.set_budget(static_cast<v1::Budget>(*budget));
    req.set_currency(gf->currency);
    auto r = Commercial(s, &Stub::GetBudget, req);
    if (!r.ok()) return s.Fail(r.status());
    Emit(s.format, *r, MakeTable(cols, *r), s.out);
    return kExitOk;
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
    if (s.format == Format::kJson) {
      PrintJson(whole, s.out);
      return;
    }
    Emit(s.format, whole, MakeTable(CallUpColumns(), c), s.out, {true, ""});
    using D = v1::CallUpDelivery;
    Columns<D> cols = {
        {"lot_id", [](const D& d) { return d.lot_id(); }},
        {"mass_t", [](const D& d) { return Tonnes(d.mass_g()); }, Align::kRight},
        {"date", [](const D& d) { return FormatDate(d.business_date()); }},
        {"late", [](const D& d) { return Bool(d.late()); }},
        {"bank", [](const D& d) { return d.bank_id(); }},
        {"to_bank", [](const D& d) { return Money(d.paid_to_bank_minor()); }, Align::kRight},
        {"to_enterprise", [](const D& d) { return Money(d.paid_to_enterprise_minor()); },
         Align::kRight},
    };
    Emit(s.format, whole, MakeTable(cols, c.deliveries()), s.out, {false, trailer});
  };

  struct IssueFlags {
    MutationFlags m;
    std::string id, agreement, quantity_t, state_owner, reason;
    int64_t quantity_g = 0;
  };
  auto f = std::make_shared<IssueFlags>();
  CLI::App* issue = Leaf(group, "issue", "Order an enterprise to sell metal to the state (admin)",
                         chosen, [f, print](Session& s) {
                           v1::IssueCallUpRequest req;
                           if (auto st = cmd::ApplyMutationFlags(f->m, &req); !st.ok()) {
                             return s.Usage(st.message());
                           }
                           req.set_call_up_id(f->id);
                           req.set_agreement_id(f->agreement);
                           auto q = cmd::MassFlag(f->quantity_t, f->quantity_g, "quantity");
                           if (!q.ok()) return s.Usage(q.status().message());
                           req.set_quantity_g(*q);
                           req.set_state_owner(f->state_owner);
                           req.set_reason(f->reason);
                           auto r = Commercial(s, &Stub::IssueCallUp, req);
                           if (!r.ok()) return s.Fail(r.status());
                           print(s, *r, r->call_up(), CommitLine(r->commit()));
                           return kExitOk;
                         });
  cmd::AddMutationFlags(issue, &f->m);
  issue->add_option("call_up_id", f->id, "call-up id")->required();
  issue->add_option("--agreement", f->agreement, "agreement id")->required();
  CLI::Option* qt = issue->add_option("--quantity-t", f->quantity_t, "quantity in tonnes (exact)");
  issue->add_option("--quantity-g", f->quantity_g, "quantity in grams")->excludes(qt);
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
                             if (auto st = cmd::ApplyMutationFlags(df->m, &req); !st.ok()) {
                               return s.Usage(st.message());
                             }
                             req.set_call_up_id(df->id);
                             for (const std::string& l : df->lots) req.add_lot_ids(l);
                             auto r = Commercial(s, &Stub::RecordCallUpDelivery, req);
                             if (!r.ok()) return s.Fail(r.status());
                             print(s, *r, r->call_up(), CommitLine(r->commit()));
                             return kExitOk;
                           });
  cmd::AddMutationFlags(deliver, &df->m);
  deliver->add_option("call_up_id", df->id, "call-up id")->required();
  deliver->add_option("--lot", df->lots, "a lot delivered (repeat)")->required();

  auto id = std::make_shared<std::string>();
  Leaf(group, "get", "Show a call-up and its deliveries", chosen,
       [id, print](Session& s) {
         v1::GetCallUpRequest req;
         req.set_call_up_id(*id);
         auto r = Commercial(s, &Stub::GetCallUp, req);
         if (!r.ok()) return s.Fail(r.status());
         print(s, *r, *r, "");
         return kExitOk;
       })
      ->add_option("call_up_id", *id, "call-up id")
      ->required();

  struct ListFlags {
    PageFlags page;
    std::string agreement;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = Leaf(group, "list", "List call-ups", chosen, [lf](Session& s) {
    v1::ListCallUpsRequest req;
    req.set_agreement_id(lf->agreement);
    req.set_page_size(lf->page.page_size);
    req.set_page_token(lf->page.page_token);
    auto r = Commercial(s, &Stub::ListCallUps, req);
    if (!r.ok()) return s.Fail(r.status());
    Emit(s.format, *r, MakeTable(CallUpColumns(), r->call_ups()), s.out,
         {false, MoreLine(r->next_page_token())});
    return kExitOk;
  });
  AddPageFlags(list, &lf->page);
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
        if (auto st = cmd::ApplyMutationFlags(xf->m, &req); !st.ok()) return s.Usage(st.message());
        req.set_agreement_id(xf->agreement);
        auto r = Commercial(s, &Stub::LiftCallUpRights, req);
        if (!r.ok()) return s.Fail(r.status());
        Columns<std::string> cols = {{"lot_id", [](const std::string& l) { return l; }}};
        Emit(s.format, *r, MakeTable(cols, r->lot_ids()), s.out, {false, CommitLine(r->commit())});
        return kExitOk;
      });
  cmd::AddMutationFlags(lift, &xf->m);
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
