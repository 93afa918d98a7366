// Change of a lot's owner (and reserve class) where it lies, for services that compose it
// into a ledger transaction of their own: the commercial reserve's call-ups (title passes to
// the state) and pledge enforcement (title passes to the bank). Issue 4.
//
// Separate from inventory.cc on purpose: it only names the accounts of README.md's "Ledger
// mapping" (an on-disk contract) and builds postings; it reads nothing and commits nothing.
// The caller writes the changed lot record (owner, class, status, encumbrances) with
// compare-and-set in the same transaction, so the move and the lot stay consistent.
#ifndef RESERVE_SERVICES_INVENTORY_OWNERSHIP_H_
#define RESERVE_SERVICES_INVENTORY_OWNERSHIP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/inventory/model.h"
#include "storage/ledger.h"

namespace reserve::inventory {

// "stock/<metal>/<depot>/<class>/<owner>": grams of `metal` in `depot` (guarded).
std::string StockAccountName(absl::string_view metal, absl::string_view depot,
                             ReserveClass reserve_class, absl::string_view owner);

// "cost/<currency>/<metal>/<depot>/<class>/<owner>": book cost of that stock (guarded).
std::string CostAccountName(absl::string_view currency, absl::string_view metal,
                            absl::string_view depot, ReserveClass reserve_class,
                            absl::string_view owner);

struct OwnerChange {
  Lot lot;               // as read (owner, class, depot, mass and cost before the change)
  std::string to_owner;  // an id: letters, digits and . _ - : (at most 64)
  ReserveClass to_class = ReserveClass::kUnspecified;
};

// Appends to `tx` the postings moving each lot's whole net mass and book cost from its
// stock and cost accounts to the new owner's and class's in the same depot, summed per
// account (zero sums dropped), and opens every account `tx` does not already open.
// INVALID_ARGUMENT (field "lots[i]") when a lot is in transit or released, a lot appears
// twice, or the new owner or class is invalid; FAILED_PRECONDITION OVERFLOW when sums
// overflow. `tx` is unchanged on error.
absl::Status AddOwnerChangePostings(absl::Span<const OwnerChange> changes, ledger::Transaction& tx);

}  // namespace reserve::inventory

#endif  // RESERVE_SERVICES_INVENTORY_OWNERSHIP_H_
