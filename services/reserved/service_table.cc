#include "services/reserved/service_table.h"

#include "services/commercial/collateral_hook.h"
#include "services/commercial/commercial_service.h"
#include "services/commercial/financing_service.h"
#include "services/decision/decision_service.h"
#include "services/decision/orders.h"
#include "services/inventory/inventory_service.h"
#include "services/ledger/ledger_service.h"

namespace reserve {

namespace {

absl::StatusOr<HostedService> MakeLedgerService(const ServiceDeps& deps) {
  auto service = std::make_unique<LedgerServiceImpl>(deps.ledger, deps.authorizer);
  LedgerServiceImpl* raw = service.get();
  return HostedService{std::move(service), [raw] { raw->BeginShutdown(); }};
}

// Inventory's hooks into the other services' rules, over the same ledger (in this process or,
// in split mode, the remote one): the decision service's order book, so an acquisition or
// release naming an order consumes it in the same transaction, and the financing rules, so a
// stock count of a pledged lot changes the pledge's collateral in the same transaction.
struct InventoryHooks {
  explicit InventoryHooks(ledger::Ledger& ledger) : orders(ledger), collateral(ledger) {}
  decision::OrderBook orders;
  commercial::CollateralHook collateral;
};

absl::StatusOr<HostedService> MakeInventoryService(const ServiceDeps& deps) {
  auto hooks = std::make_shared<InventoryHooks>(*deps.ledger);
  inventory::InventoryOptions options;
  options.order_hook = &hooks->orders;
  options.lot_mass_hook = &hooks->collateral;
  absl::StatusOr<std::unique_ptr<InventoryServiceImpl>> service =
      InventoryServiceImpl::Create(*deps.ledger, *deps.authorizer, options);
  if (!service.ok()) {
    return service.status();
  }
  return HostedService{*std::move(service), {}, std::move(hooks)};
}

absl::StatusOr<HostedService> MakeDecisionService(const ServiceDeps& deps) {
  absl::StatusOr<std::unique_ptr<DecisionServiceImpl>> service =
      DecisionServiceImpl::Create(*deps.ledger, *deps.authorizer);
  if (!service.ok()) {
    return service.status();
  }
  return HostedService{*std::move(service), {}, nullptr};
}

absl::StatusOr<HostedService> MakeCommercialService(const ServiceDeps& deps) {
  absl::StatusOr<std::unique_ptr<CommercialReserveServiceImpl>> service =
      CommercialReserveServiceImpl::Create(*deps.ledger, *deps.authorizer);
  if (!service.ok()) {
    return service.status();
  }
  return HostedService{*std::move(service), {}};
}

// Also runs the mark-to-market follower; begin_shutdown ends event streams and stops it
// before the ledger closes.
absl::StatusOr<HostedService> MakeFinancingService(const ServiceDeps& deps) {
  absl::StatusOr<std::unique_ptr<FinancingServiceImpl>> service =
      FinancingServiceImpl::Create(*deps.ledger, *deps.authorizer);
  if (!service.ok()) {
    return service.status();
  }
  FinancingServiceImpl* raw = service->get();
  return HostedService{*std::move(service), [raw] { raw->BeginShutdown(); }};
}

}  // namespace

const std::vector<ServiceEntry>& ServiceTable() {
  static const std::vector<ServiceEntry> table = {
      {"ledger", MakeLedgerService},
      {"inventory", MakeInventoryService},
      {"decision", MakeDecisionService},
      {"commercial", MakeCommercialService},
      {"financing", MakeFinancingService},
  };
  return table;
}

}  // namespace reserve
