#include "services/commercial/commercial_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/commercial/glue.h"
#include "services/common/grpc_status.h"
#include "storage/errors.h"

namespace reserve {
namespace {

namespace com = commercial;
using commercial_glue::ScopeOf;

std::string FullMethod(absl::string_view method) {
  return absl::StrCat("/reserve.v1.CommercialReserveService/", method);
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& v) {
  return {v.begin(), v.end()};
}

// ---- Messages ----

com::Enterprise FromProto(const v1::Enterprise& e) {
  com::Enterprise out;
  out.id = e.enterprise_id();
  out.name = e.name();
  out.province = e.province();
  out.metals = Strings(e.metals());
  out.depot_ids = Strings(e.depot_ids());
  return out;
}

void ToProto(const com::Enterprise& e, v1::Enterprise* out) {
  out->set_enterprise_id(e.id);
  out->set_name(e.name);
  out->set_province(e.province);
  for (const std::string& m : e.metals) out->add_metals(m);
  for (const std::string& d : e.depot_ids) out->add_depot_ids(d);
  ToProtoDate(e.enrolled_date, out->mutable_enrolled_date());
  if (e.subsidised_through.has_value()) {
    ToProtoDate(*e.subsidised_through, out->mutable_subsidised_through());
  }
}

absl::StatusOr<com::Agreement> FromProto(const v1::Agreement& a) {
  com::Agreement out;
  out.id = a.agreement_id();
  out.enterprise_id = a.enterprise_id();
  out.metal = a.metal();
  out.committed_mass_g = a.committed_mass_g();
  absl::StatusOr<absl::CivilDay> start =
      RequiredDate(a.has_start_date(), a.start_date(), "agreement.start_date");
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::CivilDay> end =
      RequiredDate(a.has_end_date(), a.end_date(), "agreement.end_date");
  if (!end.ok()) return end.status();
  out.start_date = *start;
  out.end_date = *end;
  out.depot_ids = Strings(a.depot_ids());
  out.currency = a.currency();
  out.storage_subsidy_minor_per_t_per_day = a.storage_subsidy_minor_per_t_per_day();
  out.interest_subsidy_bp = a.interest_subsidy_bp();
  out.call_up_notice_days = a.call_up_notice_days();
  if (!v1::CallUpPriceRule_IsValid(a.call_up_price_rule())) {
    return InvalidField("agreement.call_up_price_rule", "unknown value");
  }
  out.call_up_price_rule = static_cast<com::CallUpPriceRule>(a.call_up_price_rule());
  out.call_up_price_minor_per_t = a.call_up_price_minor_per_t();
  out.call_up_market_discount_bp = a.call_up_market_discount_bp();
  out.pledged_lots_need_bank_consent = a.pledged_lots_need_bank_consent();
  out.bank_paid_first = a.bank_paid_first();
  return out;
}

void ToProto(const com::Agreement& a, v1::Agreement* out) {
  out->set_agreement_id(a.id);
  out->set_enterprise_id(a.enterprise_id);
  out->set_metal(a.metal);
  out->set_committed_mass_g(a.committed_mass_g);
  ToProtoDate(a.start_date, out->mutable_start_date());
  ToProtoDate(a.end_date, out->mutable_end_date());
  for (const std::string& d : a.depot_ids) out->add_depot_ids(d);
  out->set_currency(a.currency);
  out->set_storage_subsidy_minor_per_t_per_day(a.storage_subsidy_minor_per_t_per_day);
  out->set_interest_subsidy_bp(a.interest_subsidy_bp);
  out->set_call_up_notice_days(a.call_up_notice_days);
  out->set_call_up_price_rule(static_cast<v1::CallUpPriceRule>(a.call_up_price_rule));
  out->set_call_up_price_minor_per_t(a.call_up_price_minor_per_t);
  out->set_call_up_market_discount_bp(a.call_up_market_discount_bp);
  out->set_pledged_lots_need_bank_consent(a.pledged_lots_need_bank_consent);
  out->set_bank_paid_first(a.bank_paid_first);
  for (const com::AgreementExtension& x : a.extensions) {
    v1::AgreementExtension* e = out->add_extensions();
    ToProtoDate(x.business_date, e->mutable_business_date());
    ToProtoDate(x.previous_end, e->mutable_previous_end_date());
    ToProtoDate(x.new_end, e->mutable_new_end_date());
  }
}

void ToProto(const com::SubsidyStatement& s, v1::SubsidyStatement* out) {
  out->set_statement_id(s.id);
  out->set_enterprise_id(s.enterprise_id);
  ToProtoDate(s.period_start, out->mutable_period_start());
  ToProtoDate(s.period_end, out->mutable_period_end());
  out->set_currency(s.currency);
  for (const com::SubsidyLine& l : s.lines) {
    v1::SubsidyLine* pl = out->add_lines();
    pl->set_agreement_id(l.agreement_id);
    pl->set_metal(l.metal);
    pl->set_days_in_term(l.days_in_term);
    pl->set_held_gram_days(l.held_gram_days);
    pl->set_storage_subsidy_minor(l.storage_subsidy_minor);
    pl->set_financed_minor_days(l.financed_minor_days);
    pl->set_interest_subsidy_minor(l.interest_subsidy_minor);
  }
  out->set_total_minor(s.total_minor);
  out->set_status(static_cast<v1::SubsidyStatementStatus>(s.status));
  ToProtoDate(s.issued_date, out->mutable_issued_date());
  if (s.paid_date.has_value()) ToProtoDate(*s.paid_date, out->mutable_paid_date());
  out->set_as_of_seq(s.as_of_seq);
}

void ToProto(const com::CallUp& c, v1::CallUp* out) {
  out->set_call_up_id(c.id);
  out->set_agreement_id(c.agreement_id);
  out->set_enterprise_id(c.enterprise_id);
  out->set_metal(c.metal);
  out->set_quantity_g(c.quantity_g);
  ToProtoDate(c.issued_date, out->mutable_issued_date());
  ToProtoDate(c.due_date, out->mutable_due_date());
  out->set_price_minor_per_t(c.price_minor_per_t);
  out->set_currency(c.currency);
  out->set_state_owner(c.state_owner);
  out->set_reason(c.reason);
  out->set_status(static_cast<v1::CallUpStatus>(c.status));
  out->set_delivered_g(c.delivered_g);
  out->set_delivered_late_g(c.delivered_late_g);
  out->set_paid_minor(c.paid_minor);
  for (const com::CallUpDelivery& d : c.deliveries) {
    v1::CallUpDelivery* pd = out->add_deliveries();
    pd->set_lot_id(d.lot_id);
    pd->set_mass_g(d.mass_g);
    ToProtoDate(d.business_date, pd->mutable_business_date());
    pd->set_late(d.late);
    pd->set_paid_to_bank_minor(d.paid_to_bank_minor);
    pd->set_bank_id(d.bank);
    pd->set_paid_to_enterprise_minor(d.paid_to_enterprise_minor);
  }
  for (const std::string& id : c.affected_pledge_ids) out->add_affected_pledge_ids(id);
}

void ToProto(const com::BudgetBalance& b, v1::BudgetBalance* out) {
  out->set_budget(static_cast<v1::Budget>(b.budget));
  out->set_currency(b.currency);
  out->set_balance_minor(b.balance_minor);
}

absl::StatusOr<com::Budget> FromProto(v1::Budget b) {
  if (!v1::Budget_IsValid(b) || b == v1::BUDGET_UNSPECIFIED) {
    return InvalidField("budget", "BUDGET_SUBSIDY or BUDGET_CALL_UP");
  }
  return static_cast<com::Budget>(b);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CommercialReserveServiceImpl>> CommercialReserveServiceImpl::Create(
    ledger::Ledger& ledger, const Authorizer& authorizer) {
  return std::unique_ptr<CommercialReserveServiceImpl>(new CommercialReserveServiceImpl(
      std::make_unique<com::CommercialReserve>(ledger), authorizer));
}

absl::StatusOr<Principal> CommercialReserveServiceImpl::Authorize(grpc::ServerContext* context,
                                                                  absl::string_view method) const {
  return authorizer_.Authorize(context, FullMethod(method));
}

absl::StatusOr<com::Scope> CommercialReserveServiceImpl::AuthorizeScope(
    grpc::ServerContext* context, absl::string_view method) const {
  absl::StatusOr<Principal> who = Authorize(context, method);
  if (!who.ok()) return who.status();
  return ScopeOf(*who);
}

// ---- Enterprises ----

grpc::Status CommercialReserveServiceImpl::EnrolEnterprise(
    grpc::ServerContext* context, const v1::EnrolEnterpriseRequest* request,
    v1::EnterpriseResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "EnrolEnterprise");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = domain_->EnrolEnterprise(*ctx, FromProto(request->enterprise()));
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_enterprise());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::GetEnterprise(grpc::ServerContext* context,
                                                         const v1::GetEnterpriseRequest* request,
                                                         v1::Enterprise* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "GetEnterprise");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto e = domain_->GetEnterprise(*scope, request->enterprise_id());
  if (!e.ok()) return ToGrpcStatus(e.status());
  ToProto(*e, response);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::ListEnterprises(
    grpc::ServerContext* context, const v1::ListEnterprisesRequest* request,
    v1::ListEnterprisesResponse* response) {
  if (auto who = Authorize(context, "ListEnterprises"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto page = domain_->ListEnterprises(*size, request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const com::Enterprise& e : page->items) ToProto(e, response->add_enterprises());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

// ---- Agreements ----

grpc::Status CommercialReserveServiceImpl::CreateAgreement(
    grpc::ServerContext* context, const v1::CreateAgreementRequest* request,
    v1::AgreementResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "CreateAgreement");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  absl::StatusOr<com::Agreement> agreement = FromProto(request->agreement());
  if (!agreement.ok()) return ToGrpcStatus(agreement.status());
  auto done = domain_->CreateAgreement(*ctx, *agreement);
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_agreement());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::ExtendAgreement(
    grpc::ServerContext* context, const v1::ExtendAgreementRequest* request,
    v1::AgreementResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ExtendAgreement");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  absl::StatusOr<absl::CivilDay> end =
      RequiredDate(request->has_new_end_date(), request->new_end_date(), "new_end_date");
  if (!end.ok()) return ToGrpcStatus(end.status());
  auto done = domain_->ExtendAgreement(*ctx, request->agreement_id(), *end);
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_agreement());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::GetAgreement(grpc::ServerContext* context,
                                                        const v1::GetAgreementRequest* request,
                                                        v1::Agreement* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "GetAgreement");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto a = domain_->GetAgreement(*scope, request->agreement_id());
  if (!a.ok()) return ToGrpcStatus(a.status());
  ToProto(*a, response);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::ListAgreements(grpc::ServerContext* context,
                                                          const v1::ListAgreementsRequest* request,
                                                          v1::ListAgreementsResponse* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "ListAgreements");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto page =
      domain_->ListAgreements(*scope, request->enterprise_id(), *size, request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const com::Agreement& a : page->items) ToProto(a, response->add_agreements());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::GetCompliance(grpc::ServerContext* context,
                                                         const v1::GetComplianceRequest* request,
                                                         v1::GetComplianceResponse* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "GetCompliance");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto from = RequiredDate(request->has_from_date(), request->from_date(), "from_date");
  if (!from.ok()) return ToGrpcStatus(from.status());
  auto to = RequiredDate(request->has_to_date(), request->to_date(), "to_date");
  if (!to.ok()) return ToGrpcStatus(to.status());
  auto c = domain_->GetCompliance(*scope, request->agreement_id(), *from, *to);
  if (!c.ok()) return ToGrpcStatus(c.status());
  response->set_agreement_id(c->agreement_id);
  for (const com::ComplianceDay& d : c->days) {
    v1::ComplianceDay* pd = response->add_days();
    ToProtoDate(d.date, pd->mutable_date());
    pd->set_held_mass_g(d.held_mass_g);
    pd->set_committed_mass_g(d.committed_mass_g);
    pd->set_shortfall_g(d.shortfall_g);
    if (d.shortfall_g > 0) ToProtoDate(d.date, response->add_shortfall_dates());
  }
  response->set_days_in_term(c->days_in_term);
  response->set_min_held_mass_g(c->min_held_mass_g);
  response->set_as_of_seq(c->as_of_seq);
  return grpc::Status::OK;
}

// ---- Subsidies and budgets ----

grpc::Status CommercialReserveServiceImpl::IssueSubsidyStatement(
    grpc::ServerContext* context, const v1::IssueSubsidyStatementRequest* request,
    v1::SubsidyStatementResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "IssueSubsidyStatement");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto start = RequiredDate(request->has_period_start(), request->period_start(), "period_start");
  if (!start.ok()) return ToGrpcStatus(start.status());
  auto end = RequiredDate(request->has_period_end(), request->period_end(), "period_end");
  if (!end.ok()) return ToGrpcStatus(end.status());
  auto done = domain_->IssueStatement(*ctx, request->enterprise_id(), *start, *end);
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_statement());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::GetSubsidyStatement(
    grpc::ServerContext* context, const v1::GetSubsidyStatementRequest* request,
    v1::SubsidyStatement* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "GetSubsidyStatement");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto s = domain_->GetStatement(*scope, request->statement_id());
  if (!s.ok()) return ToGrpcStatus(s.status());
  ToProto(*s, response);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::ListSubsidyStatements(
    grpc::ServerContext* context, const v1::ListSubsidyStatementsRequest* request,
    v1::ListSubsidyStatementsResponse* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "ListSubsidyStatements");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto page =
      domain_->ListStatements(*scope, request->enterprise_id(), *size, request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const com::SubsidyStatement& s : page->items) ToProto(s, response->add_statements());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::PaySubsidyStatement(
    grpc::ServerContext* context, const v1::PaySubsidyStatementRequest* request,
    v1::SubsidyStatementResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "PaySubsidyStatement");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = domain_->PayStatement(*ctx, request->statement_id());
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_statement());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::FundBudget(grpc::ServerContext* context,
                                                      const v1::FundBudgetRequest* request,
                                                      v1::FundBudgetResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "FundBudget");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  absl::StatusOr<com::Budget> budget = FromProto(request->budget());
  if (!budget.ok()) return ToGrpcStatus(budget.status());
  auto done = domain_->FundBudget(*ctx, *budget, request->currency(), request->amount_minor(),
                                  request->memo());
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_balance());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::GetBudget(grpc::ServerContext* context,
                                                     const v1::GetCommercialBudgetRequest* request,
                                                     v1::BudgetBalance* response) {
  if (auto who = Authorize(context, "GetBudget"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<com::Budget> budget = FromProto(request->budget());
  if (!budget.ok()) return ToGrpcStatus(budget.status());
  auto b = domain_->GetBudget(*budget, request->currency());
  if (!b.ok()) return ToGrpcStatus(b.status());
  ToProto(*b, response);
  return grpc::Status::OK;
}

// ---- Call-ups ----

grpc::Status CommercialReserveServiceImpl::IssueCallUp(grpc::ServerContext* context,
                                                       const v1::IssueCallUpRequest* request,
                                                       v1::CallUpResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "IssueCallUp");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  com::CallUpRequest call{request->call_up_id(), request->agreement_id(), request->quantity_g(),
                          request->state_owner(), request->reason()};
  auto done = domain_->IssueCallUp(*ctx, call);
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_call_up());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::RecordCallUpDelivery(
    grpc::ServerContext* context, const v1::RecordCallUpDeliveryRequest* request,
    v1::CallUpResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RecordCallUpDelivery");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = domain_->RecordDelivery(*ctx, request->call_up_id(), Strings(request->lot_ids()));
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_call_up());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::GetCallUp(grpc::ServerContext* context,
                                                     const v1::GetCallUpRequest* request,
                                                     v1::CallUp* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "GetCallUp");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto c = domain_->GetCallUp(*scope, request->call_up_id());
  if (!c.ok()) return ToGrpcStatus(c.status());
  ToProto(*c, response);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::ListCallUps(grpc::ServerContext* context,
                                                       const v1::ListCallUpsRequest* request,
                                                       v1::ListCallUpsResponse* response) {
  absl::StatusOr<com::Scope> scope = AuthorizeScope(context, "ListCallUps");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto page = domain_->ListCallUps(*scope, request->agreement_id(), *size, request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const com::CallUp& c : page->items) ToProto(c, response->add_call_ups());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CommercialReserveServiceImpl::LiftCallUpRights(
    grpc::ServerContext* context, const v1::LiftCallUpRightsRequest* request,
    v1::LiftCallUpRightsResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "LiftCallUpRights");
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto ctx = MakeContext(*who, request->request_id(), request->has_business_date(),
                         request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = domain_->LiftCallUpRights(*ctx, request->agreement_id());
  if (!done.ok()) return ToGrpcStatus(done.status());
  for (const std::string& id : done->value) response->add_lot_ids(id);
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

}  // namespace reserve
