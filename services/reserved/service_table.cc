#include "services/reserved/service_table.h"

#include "services/inventory/inventory_service.h"
#include "services/ledger/ledger_service.h"

namespace reserve {

namespace {

absl::StatusOr<HostedService> MakeLedgerService(const ServiceDeps& deps) {
  auto service = std::make_unique<LedgerServiceImpl>(deps.ledger, deps.authorizer);
  LedgerServiceImpl* raw = service.get();
  return HostedService{std::move(service), [raw] { raw->BeginShutdown(); }};
}

absl::StatusOr<HostedService> MakeInventoryService(const ServiceDeps& deps) {
  absl::StatusOr<std::unique_ptr<InventoryServiceImpl>> service =
      InventoryServiceImpl::Create(*deps.ledger, *deps.authorizer);
  if (!service.ok()) {
    return service.status();
  }
  return HostedService{*std::move(service), {}};
}

}  // namespace

const std::vector<ServiceEntry>& ServiceTable() {
  static const std::vector<ServiceEntry> table = {
      {"ledger", MakeLedgerService},
      {"inventory", MakeInventoryService},
  };
  return table;
}

}  // namespace reserve
