// Inventory's lot-mass hook, implemented by the financing rules: a stock count that changes
// the mass of a pledged lot changes the pledge's collateral (and its LTV, margin call and the
// bank's event) in the count's own transaction. Whoever builds an Inventory over a ledger
// that financing also uses installs one (services/reserved/service_table.cc).
#ifndef RESERVE_SERVICES_COMMERCIAL_COLLATERAL_HOOK_H_
#define RESERVE_SERVICES_COMMERCIAL_COLLATERAL_HOOK_H_

#include "services/commercial/financing.h"
#include "services/inventory/inventory.h"

namespace reserve::commercial {

class CollateralHook final : public inventory::LotMassHook {
 public:
  explicit CollateralHook(ledger::Ledger& ledger) : financing_(ledger) {}
  absl::Status AddToTransaction(const inventory::Lot& lot, int64_t difference_g,
                                absl::string_view count_id, ledger::Transaction& tx) override {
    return financing_.RecountCollateral(lot, difference_g, count_id, tx);
  }

 private:
  Financing financing_;
};

}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_COLLATERAL_HOOK_H_
