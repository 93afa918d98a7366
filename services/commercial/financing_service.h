// FinancingService gRPC glue: authorise (services/common access table), find the bank the
// caller acts for, translate to the domain (financing.h), translate back, map errors with
// ToGrpcStatus. It also owns the mark-to-market follower (mark_to_market.h), which runs
// while the service is hosted.
#ifndef RESERVE_SERVICES_COMMERCIAL_FINANCING_SERVICE_H_
#define RESERVE_SERVICES_COMMERCIAL_FINANCING_SERVICE_H_

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "reserve/v1/financing.grpc.pb.h"
#include "services/commercial/financing.h"
#include "services/commercial/mark_to_market.h"
#include "services/common/async_unary.h"
#include "services/common/auth.h"
#include "storage/ledger.h"

namespace reserve {

struct FinancingServiceOptions {
  bool run_mark_to_market = true;  // false: no follower (tests that drive it themselves)
  commercial::FollowerOptions follower;
};

// Event streams open at once; beyond it WatchEvents is RESOURCE_EXHAUSTED. Each stream holds
// a server thread while it follows the journal.
inline constexpr int kMaxEventStreams = 64;

// CreatePledge is served asynchronously (services/common/async_unary.h): a pledge waits for
// its group fsync without holding a thread.
class FinancingServiceImpl final
    : public v1::FinancingService::WithRawMethod_CreatePledge<v1::FinancingService::Service>,
      public AsyncMethods {
 public:
  // `ledger` and `authorizer` must outlive the result.
  static absl::StatusOr<std::unique_ptr<FinancingServiceImpl>> Create(
      ledger::Ledger& ledger, const Authorizer& authorizer, FinancingServiceOptions options = {});

  FinancingServiceImpl(const FinancingServiceImpl&) = delete;
  FinancingServiceImpl& operator=(const FinancingServiceImpl&) = delete;
  ~FinancingServiceImpl() override;

  // Ends event streams (UNAVAILABLE: resume from the last cursor) and stops the follower.
  // Call before the ledger closes.
  void BeginShutdown();

  commercial::Financing& domain() { return *financing_; }
  // Null when the follower is off.
  commercial::MarkToMarketFollower* follower() { return follower_.get(); }

  grpc::Status VerifyLots(grpc::ServerContext* context, const v1::VerifyLotsRequest* request,
                          v1::VerifyLotsResponse* response) override;
  void ArmAll(grpc::ServerCompletionQueue* cq, AsyncHost& host) override;
  void CreatePledge(grpc::ServerContext* context, const v1::CreatePledgeRequest& request,
                    v1::PledgeResponse* response, Reply reply);
  grpc::Status GetPledge(grpc::ServerContext* context, const v1::GetPledgeRequest* request,
                         v1::Pledge* response) override;
  grpc::Status ListPledges(grpc::ServerContext* context, const v1::ListPledgesRequest* request,
                           v1::ListPledgesResponse* response) override;
  grpc::Status RepayPledge(grpc::ServerContext* context, const v1::RepayPledgeRequest* request,
                           v1::PledgeResponse* response) override;
  grpc::Status EnforcePledge(grpc::ServerContext* context, const v1::EnforcePledgeRequest* request,
                             v1::PledgeResponse* response) override;
  grpc::Status ConsentToCallUp(grpc::ServerContext* context,
                               const v1::ConsentToCallUpRequest* request,
                               v1::PledgeResponse* response) override;
  grpc::Status GetExposure(grpc::ServerContext* context, const v1::GetExposureRequest* request,
                           v1::GetExposureResponse* response) override;
  grpc::Status GetFinancingTotals(grpc::ServerContext* context,
                                  const v1::GetFinancingTotalsRequest* request,
                                  v1::GetFinancingTotalsResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context, const v1::WatchEventsRequest* request,
                           grpc::ServerWriter<v1::PledgeEvent>* writer) override;

 private:
  FinancingServiceImpl(std::unique_ptr<commercial::Financing> financing,
                       const Authorizer& authorizer)
      : financing_(std::move(financing)), authorizer_(authorizer) {}

  absl::StatusOr<Principal> Authorize(grpc::ServerContext* context, absl::string_view method) const;
  // Authorises and returns the bank the caller acts for.
  absl::StatusOr<std::string> AuthorizeBank(grpc::ServerContext* context,
                                            absl::string_view method) const;

  const std::unique_ptr<commercial::Financing> financing_;
  const Authorizer& authorizer_;
  std::unique_ptr<commercial::MarkToMarketFollower> follower_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<int> open_streams_{0};
  // Made on the first ArmAll; shared by every wait for a call.
  std::shared_ptr<const UnaryMethod<v1::CreatePledgeRequest, v1::PledgeResponse>> create_pledge_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMERCIAL_FINANCING_SERVICE_H_
