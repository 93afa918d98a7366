// CommercialReserveService gRPC glue: authorise (services/common access table), scope the
// caller (an enterprise sees its own rows), translate to the domain (commercial.h),
// translate back, map errors with ToGrpcStatus. Decides nothing itself.
#ifndef RESERVE_SERVICES_COMMERCIAL_COMMERCIAL_SERVICE_H_
#define RESERVE_SERVICES_COMMERCIAL_COMMERCIAL_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "reserve/v1/commercial.grpc.pb.h"
#include "services/commercial/commercial.h"
#include "services/common/auth.h"
#include "storage/ledger.h"

namespace reserve {

class CommercialReserveServiceImpl final : public v1::CommercialReserveService::Service {
 public:
  // `ledger` and `authorizer` must outlive the result.
  static absl::StatusOr<std::unique_ptr<CommercialReserveServiceImpl>> Create(
      ledger::Ledger& ledger, const Authorizer& authorizer);

  CommercialReserveServiceImpl(const CommercialReserveServiceImpl&) = delete;
  CommercialReserveServiceImpl& operator=(const CommercialReserveServiceImpl&) = delete;

  commercial::CommercialReserve& domain() { return *domain_; }

  grpc::Status EnrolEnterprise(grpc::ServerContext* context,
                               const v1::EnrolEnterpriseRequest* request,
                               v1::EnterpriseResponse* response) override;
  grpc::Status GetEnterprise(grpc::ServerContext* context, const v1::GetEnterpriseRequest* request,
                             v1::Enterprise* response) override;
  grpc::Status ListEnterprises(grpc::ServerContext* context,
                               const v1::ListEnterprisesRequest* request,
                               v1::ListEnterprisesResponse* response) override;
  grpc::Status CreateAgreement(grpc::ServerContext* context,
                               const v1::CreateAgreementRequest* request,
                               v1::AgreementResponse* response) override;
  grpc::Status ExtendAgreement(grpc::ServerContext* context,
                               const v1::ExtendAgreementRequest* request,
                               v1::AgreementResponse* response) override;
  grpc::Status GetAgreement(grpc::ServerContext* context, const v1::GetAgreementRequest* request,
                            v1::Agreement* response) override;
  grpc::Status ListAgreements(grpc::ServerContext* context,
                              const v1::ListAgreementsRequest* request,
                              v1::ListAgreementsResponse* response) override;
  grpc::Status GetCompliance(grpc::ServerContext* context, const v1::GetComplianceRequest* request,
                             v1::GetComplianceResponse* response) override;
  grpc::Status IssueSubsidyStatement(grpc::ServerContext* context,
                                     const v1::IssueSubsidyStatementRequest* request,
                                     v1::SubsidyStatementResponse* response) override;
  grpc::Status GetSubsidyStatement(grpc::ServerContext* context,
                                   const v1::GetSubsidyStatementRequest* request,
                                   v1::SubsidyStatement* response) override;
  grpc::Status ListSubsidyStatements(grpc::ServerContext* context,
                                     const v1::ListSubsidyStatementsRequest* request,
                                     v1::ListSubsidyStatementsResponse* response) override;
  grpc::Status PaySubsidyStatement(grpc::ServerContext* context,
                                   const v1::PaySubsidyStatementRequest* request,
                                   v1::SubsidyStatementResponse* response) override;
  grpc::Status FundBudget(grpc::ServerContext* context, const v1::FundBudgetRequest* request,
                          v1::FundBudgetResponse* response) override;
  grpc::Status GetBudget(grpc::ServerContext* context, const v1::GetCommercialBudgetRequest* request,
                         v1::BudgetBalance* response) override;
  grpc::Status IssueCallUp(grpc::ServerContext* context, const v1::IssueCallUpRequest* request,
                           v1::CallUpResponse* response) override;
  grpc::Status RecordCallUpDelivery(grpc::ServerContext* context,
                                    const v1::RecordCallUpDeliveryRequest* request,
                                    v1::CallUpResponse* response) override;
  grpc::Status GetCallUp(grpc::ServerContext* context, const v1::GetCallUpRequest* request,
                         v1::CallUp* response) override;
  grpc::Status ListCallUps(grpc::ServerContext* context, const v1::ListCallUpsRequest* request,
                           v1::ListCallUpsResponse* response) override;
  grpc::Status LiftCallUpRights(grpc::ServerContext* context,
                                const v1::LiftCallUpRightsRequest* request,
                                v1::LiftCallUpRightsResponse* response) override;

 private:
  CommercialReserveServiceImpl(std::unique_ptr<commercial::CommercialReserve> domain,
                               const Authorizer& authorizer)
      : domain_(std::move(domain)), authorizer_(authorizer) {}

  absl::StatusOr<Principal> Authorize(grpc::ServerContext* context, absl::string_view method) const;
  // Authorises and returns the caller's read scope.
  absl::StatusOr<commercial::Scope> AuthorizeScope(grpc::ServerContext* context,
                                                   absl::string_view method) const;

  const std::unique_ptr<commercial::CommercialReserve> domain_;
  const Authorizer& authorizer_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMERCIAL_COMMERCIAL_SERVICE_H_
