#include "services/commercial/financing_service.h"

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
using commercial_glue::BankOf;
using commercial_glue::ScopeOf;
using commercial_glue::ToProto;

std::string FullMethod(absl::string_view method) {
  return absl::StrCat("/reserve.v1.FinancingService/", method);
}

std::vector<std::string> Ids(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  return {ids.begin(), ids.end()};
}

void FillPledgeResponse(const com::Mutation<com::Pledge>& m, v1::PledgeResponse* response) {
  ToProto(m.value, response->mutable_pledge());
  response->set_ltv_bp(m.value.marked_ltv_bp);
  SetCommit(m, response->mutable_commit());
}

// Decrements the open-stream count when a stream ends.
class StreamSlot {
 public:
  explicit StreamSlot(std::atomic<int>& open) : open_(open) {}
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  ~StreamSlot() { open_.fetch_sub(1); }

 private:
  std::atomic<int>& open_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FinancingServiceImpl>> FinancingServiceImpl::Create(
    ledger::Ledger& ledger, const Authorizer& authorizer, FinancingServiceOptions options) {
  auto service = std::unique_ptr<FinancingServiceImpl>(
      new FinancingServiceImpl(std::make_unique<com::Financing>(ledger), authorizer));
  if (options.run_mark_to_market) {
    service->follower_ =
        com::MarkToMarketFollower::Start(ledger, *service->financing_, options.follower);
  }
  return service;
}

FinancingServiceImpl::~FinancingServiceImpl() { BeginShutdown(); }

void FinancingServiceImpl::BeginShutdown() {
  shutting_down_.store(true);
  if (follower_ != nullptr) follower_->Stop();
}

absl::StatusOr<Principal> FinancingServiceImpl::Authorize(grpc::ServerContext* context,
                                                          absl::string_view method) const {
  return authorizer_.Authorize(context, FullMethod(method));
}

absl::StatusOr<std::string> FinancingServiceImpl::AuthorizeBank(grpc::ServerContext* context,
                                                                absl::string_view method) const {
  absl::StatusOr<Principal> who = Authorize(context, method);
  if (!who.ok()) return who.status();
  return BankOf(*who);
}

grpc::Status FinancingServiceImpl::VerifyLots(grpc::ServerContext* context,
                                              const v1::VerifyLotsRequest* request,
                                              v1::VerifyLotsResponse* response) {
  absl::StatusOr<std::string> bank = AuthorizeBank(context, "VerifyLots");
  if (!bank.ok()) return ToGrpcStatus(bank.status());
  absl::StatusOr<com::Verification> v =
      financing_->VerifyLots(*bank, Ids(request->lot_ids()), request->borrower_enterprise_id());
  if (!v.ok()) return ToGrpcStatus(v.status());
  for (const com::LotVerification& l : v->lots) {
    v1::LotVerification* out = response->add_lots();
    out->set_lot_id(l.lot_id);
    out->set_pledgeability(static_cast<v1::Pledgeability>(l.pledgeability));
    out->set_metal(l.metal);
    out->set_grade(l.grade);
    out->set_net_mass_g(l.net_mass_g);
    out->set_depot_id(l.depot);
    out->set_depot_approved_for_pledge(l.depot_approved_for_pledge);
  }
  response->set_as_of_seq(v->as_of_seq);
  return grpc::Status::OK;
}

void FinancingServiceImpl::ArmAll(grpc::ServerCompletionQueue* cq, AsyncHost& host) {
  if (create_pledge_ == nullptr) {
    create_pledge_ = MakeUnaryMethod<v1::CreatePledgeRequest, v1::PledgeResponse>(
        this, "/reserve.v1.FinancingService/CreatePledge", &FinancingServiceImpl::RequestCreatePledge,
        &FinancingServiceImpl::CreatePledge);
  }
  ArmUnary(create_pledge_, cq, host);
}

void FinancingServiceImpl::CreatePledge(grpc::ServerContext* context,
                                        const v1::CreatePledgeRequest& request,
                                        v1::PledgeResponse* response, Reply reply) {
  absl::StatusOr<Principal> who = Authorize(context, "CreatePledge");
  if (!who.ok()) return reply(ToGrpcStatus(who.status()));
  absl::StatusOr<std::string> bank = BankOf(*who);
  if (!bank.ok()) return reply(ToGrpcStatus(bank.status()));
  absl::StatusOr<com::Context> ctx = MakeContext(
      *who, request.request_id(), request.has_business_date(), request.business_date());
  if (!ctx.ok()) return reply(ToGrpcStatus(ctx.status()));
  absl::StatusOr<absl::CivilDay> maturity =
      RequiredDate(request.has_maturity_date(), request.maturity_date(), "maturity_date");
  if (!maturity.ok()) return reply(ToGrpcStatus(maturity.status()));
  com::PledgeRequest pledge{request.borrower_enterprise_id(),
                            Ids(request.lot_ids()),
                            request.principal_minor(),
                            request.currency(),
                            request.interest_rate_bp(),
                            *maturity,
                            request.max_ltv_bp(),
                            request.margin_call_ltv_bp(),
                            request.loan_reference()};
  financing_->CreatePledgeAsync(
      *ctx, *bank, std::move(pledge), [response, reply = std::move(reply)](auto done) {
        if (!done.ok()) return reply(ToGrpcStatus(done.status()));
        ToProto(done->value.pledge, response->mutable_pledge());
        response->set_ltv_bp(done->value.ltv_bp);
        SetCommit(*done, response->mutable_commit());
        reply(grpc::Status::OK);
      });
}

grpc::Status FinancingServiceImpl::GetPledge(grpc::ServerContext* context,
                                             const v1::GetPledgeRequest* request,
                                             v1::Pledge* response) {
  absl::StatusOr<Principal> who = Authorize(context, "GetPledge");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<com::Scope> scope = ScopeOf(*who);
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  absl::StatusOr<com::Pledge> p = financing_->GetPledge(*scope, request->pledge_id());
  if (!p.ok()) return ToGrpcStatus(p.status());
  ToProto(*p, response);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::ListPledges(grpc::ServerContext* context,
                                               const v1::ListPledgesRequest* request,
                                               v1::ListPledgesResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ListPledges");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<com::Scope> scope = ScopeOf(*who);
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  if (!v1::PledgeStatus_IsValid(request->status())) {
    return ToGrpcStatus(InvalidField("status", "unknown value"));
  }
  absl::StatusOr<com::PledgePage> page = financing_->ListPledges(
      *scope, static_cast<com::PledgeStatus>(request->status()), *size, request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const com::Pledge& p : page->pledges) ToProto(p, response->add_pledges());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::RepayPledge(grpc::ServerContext* context,
                                               const v1::RepayPledgeRequest* request,
                                               v1::PledgeResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RepayPledge");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<std::string> bank = BankOf(*who);
  if (!bank.ok()) return ToGrpcStatus(bank.status());
  absl::StatusOr<com::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = financing_->RepayPledge(*ctx, *bank, request->pledge_id());
  if (!done.ok()) return ToGrpcStatus(done.status());
  FillPledgeResponse(*done, response);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::EnforcePledge(grpc::ServerContext* context,
                                                 const v1::EnforcePledgeRequest* request,
                                                 v1::PledgeResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "EnforcePledge");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<std::string> bank = BankOf(*who);
  if (!bank.ok()) return ToGrpcStatus(bank.status());
  absl::StatusOr<com::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = financing_->EnforcePledge(*ctx, *bank, request->pledge_id(), request->reason());
  if (!done.ok()) return ToGrpcStatus(done.status());
  FillPledgeResponse(*done, response);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::ConsentToCallUp(grpc::ServerContext* context,
                                                   const v1::ConsentToCallUpRequest* request,
                                                   v1::PledgeResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ConsentToCallUp");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<std::string> bank = BankOf(*who);
  if (!bank.ok()) return ToGrpcStatus(bank.status());
  absl::StatusOr<com::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = financing_->ConsentToCallUp(*ctx, *bank, request->pledge_id(), request->call_up_id());
  if (!done.ok()) return ToGrpcStatus(done.status());
  FillPledgeResponse(*done, response);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::GetExposure(grpc::ServerContext* context,
                                               const v1::GetExposureRequest* request,
                                               v1::GetExposureResponse* response) {
  absl::StatusOr<std::string> bank = AuthorizeBank(context, "GetExposure");
  if (!bank.ok()) return ToGrpcStatus(bank.status());
  absl::StatusOr<com::Exposure> e = financing_->GetExposure(*bank);
  if (!e.ok()) return ToGrpcStatus(e.status());
  for (const com::ExposureRow& r : e->rows) {
    v1::ExposureRow* out = response->add_rows();
    out->set_pledge_id(r.pledge.id);
    out->set_metal(r.pledge.metal);
    out->set_currency(r.pledge.currency);
    out->set_principal_minor(r.pledge.principal_minor);
    out->set_collateral_mass_g(r.pledge.collateral_mass_g);
    out->set_priced(r.priced);
    if (r.priced) {
      ToProtoDate(r.price.date, out->mutable_price_date());
      out->set_price_minor_per_t(r.price.price_minor_per_t);
      out->set_collateral_value_minor(r.collateral_value_minor);
      out->set_ltv_bp(r.ltv_bp);
    }
    out->set_margin_call_ltv_bp(r.pledge.margin_call_ltv_bp);
    out->set_in_margin_call(r.pledge.in_margin_call);
  }
  for (const auto& [currency, sums] : e->totals) {
    v1::CurrencyTotal* t = response->add_totals();
    t->set_currency(currency);
    t->set_principal_minor(sums.first);
    t->set_collateral_value_minor(sums.second);
  }
  response->set_as_of_seq(e->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::GetFinancingTotals(grpc::ServerContext* context,
                                                      const v1::GetFinancingTotalsRequest* request,
                                                      v1::GetFinancingTotalsResponse* response) {
  if (auto who = Authorize(context, "GetFinancingTotals"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<com::Totals> totals = financing_->GetTotals();
  if (!totals.ok()) return ToGrpcStatus(totals.status());
  for (const com::TotalsRow& r : totals->rows) {
    v1::FinancingTotalsRow* out = response->add_rows();
    out->set_metal(r.metal);
    out->set_currency(r.currency);
    out->set_active_pledges(r.active_pledges);
    out->set_principal_minor(r.principal_minor);
    out->set_collateral_mass_g(r.collateral_mass_g);
    out->set_in_margin_call(r.in_margin_call);
    out->set_enforced_pledges(r.enforced_pledges);
  }
  response->set_as_of_seq(totals->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status FinancingServiceImpl::WatchEvents(grpc::ServerContext* context,
                                               const v1::WatchEventsRequest* request,
                                               grpc::ServerWriter<v1::PledgeEvent>* writer) {
  absl::StatusOr<std::string> bank = AuthorizeBank(context, "WatchEvents");
  if (!bank.ok()) return ToGrpcStatus(bank.status());
  if (open_streams_.fetch_add(1) >= kMaxEventStreams) {
    open_streams_.fetch_sub(1);
    return ToGrpcStatus(absl::ResourceExhaustedError(
        absl::StrCat("more than ", kMaxEventStreams, " event streams are open; retry later")));
  }
  StreamSlot slot(open_streams_);
  bool client_gone = false;
  v1::PledgeEvent wire;
  absl::Status status = financing_->WatchEvents(
      *bank, com::EventCursor{request->after_seq(), request->after_index()},
      com::WatchOptions{request->follow(), request->max_events()},
      [&](const com::PledgeEvent& e) {
        wire.Clear();
        wire.set_seq(e.seq);
        wire.set_index(e.index);
        wire.set_kind(static_cast<v1::PledgeEventKind>(e.kind));
        wire.set_pledge_id(e.pledge.id);
        ToProtoDate(e.business_date, wire.mutable_business_date());
        if (e.kind == com::PledgeEventKind::kCallUp) wire.set_call_up_id(e.pledge.event_ref);
        if (e.kind == com::PledgeEventKind::kMarginCall ||
            e.kind == com::PledgeEventKind::kCollateralCounted) {
          wire.set_ltv_bp(e.pledge.marked_ltv_bp);
        }
        ToProto(e.pledge, wire.mutable_pledge());
        if (!writer->Write(wire)) {
          client_gone = true;
          return false;
        }
        return true;
      },
      [&] { return context->IsCancelled() || shutting_down_.load(); });
  if (!status.ok()) return ToGrpcStatus(status);
  if (client_gone || context->IsCancelled()) {
    return ToGrpcStatus(absl::CancelledError("event stream cancelled"));
  }
  if (shutting_down_.load()) {
    return ToGrpcStatus(absl::UnavailableError(
        "server shutting down; resume the stream from the last event's (seq, index)"));
  }
  return grpc::Status::OK;
}

}  // namespace reserve
