// InventoryService gRPC glue: authorise (services/common access table), translate the
// request to the domain (services/inventory/inventory.h), call it, translate back, and map
// errors with ToGrpcStatus. Decides nothing itself.
#ifndef RESERVE_SERVICES_INVENTORY_INVENTORY_SERVICE_H_
#define RESERVE_SERVICES_INVENTORY_INVENTORY_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "services/common/async_unary.h"
#include "services/common/auth.h"
#include "services/inventory/inventory.h"
#include "storage/ledger.h"

namespace reserve {

// AcquireLots is served asynchronously (services/common/async_unary.h): an acquisition waits
// for its group fsync without holding a thread.
class InventoryServiceImpl final
    : public v1::InventoryService::WithRawMethod_AcquireLots<v1::InventoryService::Service>,
      public AsyncMethods {
 public:
  // Seeds the metals catalog on first use (one idempotent ledger transaction), so setup can
  // fail: returns the ledger's error then. `ledger` and `authorizer` must outlive the result.
  static absl::StatusOr<std::unique_ptr<InventoryServiceImpl>> Create(
      ledger::Ledger& ledger, const Authorizer& authorizer,
      inventory::InventoryOptions options = {});

  InventoryServiceImpl(const InventoryServiceImpl&) = delete;
  InventoryServiceImpl& operator=(const InventoryServiceImpl&) = delete;

  // For the decision service's tests and wiring: the domain object behind this service.
  inventory::Inventory& domain() { return *inventory_; }

  grpc::Status ListMetals(grpc::ServerContext* context, const v1::ListMetalsRequest* request,
                          v1::ListMetalsResponse* response) override;
  grpc::Status GetMetal(grpc::ServerContext* context, const v1::GetMetalRequest* request,
                        v1::Metal* response) override;
  grpc::Status CreateMetal(grpc::ServerContext* context, const v1::CreateMetalRequest* request,
                           v1::CreateMetalResponse* response) override;
  grpc::Status AddGrade(grpc::ServerContext* context, const v1::AddGradeRequest* request,
                        v1::AddGradeResponse* response) override;
  grpc::Status CreateDepot(grpc::ServerContext* context, const v1::CreateDepotRequest* request,
                           v1::DepotResponse* response) override;
  grpc::Status UpdateDepot(grpc::ServerContext* context, const v1::UpdateDepotRequest* request,
                           v1::DepotResponse* response) override;
  grpc::Status GetDepot(grpc::ServerContext* context, const v1::GetDepotRequest* request,
                        v1::GetDepotResponse* response) override;
  grpc::Status ListDepots(grpc::ServerContext* context, const v1::ListDepotsRequest* request,
                          v1::ListDepotsResponse* response) override;
  grpc::Status GetLot(grpc::ServerContext* context, const v1::GetLotRequest* request,
                      v1::Lot* response) override;
  grpc::Status ListLots(grpc::ServerContext* context, const v1::ListLotsRequest* request,
                        v1::ListLotsResponse* response) override;
  grpc::Status GetLotHistory(grpc::ServerContext* context, const v1::GetLotHistoryRequest* request,
                             v1::GetLotHistoryResponse* response) override;
  void ArmAll(grpc::ServerCompletionQueue* cq, AsyncHost& host) override;
  void AcquireLots(grpc::ServerContext* context, const v1::AcquireLotsRequest& request,
                   v1::AcquireLotsResponse* response, Reply reply);
  grpc::Status DispatchLot(grpc::ServerContext* context, const v1::DispatchLotRequest* request,
                           v1::TransferResponse* response) override;
  grpc::Status ReceiveLot(grpc::ServerContext* context, const v1::ReceiveLotRequest* request,
                          v1::TransferResponse* response) override;
  grpc::Status ReleaseLots(grpc::ServerContext* context, const v1::ReleaseLotsRequest* request,
                           v1::ReleaseLotsResponse* response) override;
  grpc::Status RotateLots(grpc::ServerContext* context, const v1::RotateLotsRequest* request,
                          v1::RotateLotsResponse* response) override;
  grpc::Status RecordStockCount(grpc::ServerContext* context,
                                const v1::RecordStockCountRequest* request,
                                v1::StockCountResponse* response) override;
  grpc::Status DecideStockCount(grpc::ServerContext* context,
                                const v1::DecideStockCountRequest* request,
                                v1::StockCountResponse* response) override;
  grpc::Status GetStockCount(grpc::ServerContext* context, const v1::GetStockCountRequest* request,
                             v1::StockCount* response) override;
  grpc::Status GetHoldings(grpc::ServerContext* context, const v1::GetHoldingsRequest* request,
                           v1::GetHoldingsResponse* response) override;
  grpc::Status GetValuation(grpc::ServerContext* context, const v1::GetValuationRequest* request,
                            v1::GetValuationResponse* response) override;
  grpc::Status GetDaysOfCover(grpc::ServerContext* context,
                              const v1::GetDaysOfCoverRequest* request,
                              v1::GetDaysOfCoverResponse* response) override;
  grpc::Status AddPriceMarks(grpc::ServerContext* context, const v1::AddPriceMarksRequest* request,
                             v1::AddPriceMarksResponse* response) override;
  grpc::Status ImportPriceMarks(grpc::ServerContext* context,
                                const v1::ImportPriceMarksRequest* request,
                                v1::AddPriceMarksResponse* response) override;
  grpc::Status ListPriceMarks(grpc::ServerContext* context,
                              const v1::ListPriceMarksRequest* request,
                              v1::ListPriceMarksResponse* response) override;

 private:
  InventoryServiceImpl(std::unique_ptr<inventory::Inventory> inventory,
                       const Authorizer& authorizer)
      : inventory_(std::move(inventory)), authorizer_(authorizer) {}

  absl::StatusOr<Principal> Authorize(grpc::ServerContext* context, absl::string_view method) const;

  const std::unique_ptr<inventory::Inventory> inventory_;
  const Authorizer& authorizer_;
  // Made on the first ArmAll; shared by every wait for a call.
  std::shared_ptr<const UnaryMethod<v1::AcquireLotsRequest, v1::AcquireLotsResponse>>
      acquire_lots_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_INVENTORY_INVENTORY_SERVICE_H_
