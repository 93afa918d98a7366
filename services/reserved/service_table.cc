#include "services/reserved/service_table.h"

#include "services/ledger/ledger_service.h"

namespace reserve {

namespace {

absl::StatusOr<HostedService> MakeLedgerService(const ServiceDeps& deps) {
  auto service = std::make_unique<LedgerServiceImpl>(deps.ledger, deps.authorizer);
  LedgerServiceImpl* raw = service.get();
  return HostedService{std::move(service), [raw] { raw->BeginShutdown(); }};
}

}  // namespace

const std::vector<ServiceEntry>& ServiceTable() {
  static const std::vector<ServiceEntry> table = {
      {"ledger", MakeLedgerService},
      // {"inventory", MakeInventoryService},
  };
  return table;
}

}  // namespace reserve
