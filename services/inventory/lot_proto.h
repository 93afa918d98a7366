// The v1::Lot message of a domain lot, for every glue that answers with lots: InventoryService,
// and DecisionService's auction deliveries. Translation only.
#ifndef RESERVE_SERVICES_INVENTORY_LOT_PROTO_H_
#define RESERVE_SERVICES_INVENTORY_LOT_PROTO_H_

#include "reserve/v1/inventory.pb.h"
#include "services/inventory/model.h"

namespace reserve::inventory_glue {

// Every field of `lot` (the proto and domain enum numberings agree).
void ToProto(const inventory::Lot& lot, v1::Lot* out);

}  // namespace reserve::inventory_glue

#endif  // RESERVE_SERVICES_INVENTORY_LOT_PROTO_H_
