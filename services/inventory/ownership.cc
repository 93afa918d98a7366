#include "services/inventory/ownership.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "services/domain/checks.h"
#include "services/domain/postings.h"
#include "storage/errors.h"

namespace reserve::inventory {

std::string StockAccountName(absl::string_view metal, absl::string_view depot,
                             ReserveClass reserve_class, absl::string_view owner) {
  return absl::StrCat("stock/", metal, "/", depot, "/", ReserveClassName(reserve_class), "/",
                      owner);
}

std::string CostAccountName(absl::string_view currency, absl::string_view metal,
                            absl::string_view depot, ReserveClass reserve_class,
                            absl::string_view owner) {
  return absl::StrCat("cost/", currency, "/", metal, "/", depot, "/",
                      ReserveClassName(reserve_class), "/", owner);
}

absl::Status AddOwnerChangePostings(absl::Span<const OwnerChange> changes,
                                    ledger::Transaction& tx) {
  domain::TxBuilder b;  // every stock and cost account is guarded
  std::set<std::string> seen;
  for (size_t i = 0; i < changes.size(); ++i) {
    const OwnerChange& c = changes[i];
    const Lot& l = c.lot;
    const std::string field = absl::StrCat("lots[", i, "]");
    if (l.status == LotStatus::kInTransit || l.status == LotStatus::kReleased) {
      return InvalidField(field, absl::StrCat("lot ", l.id, " is ", LotStatusName(l.status)));
    }
    if (!seen.insert(l.id).second) return InvalidField(field, "a lot appears twice");
    if (absl::Status s = domain::CheckId(c.to_owner, field + ".to_owner"); !s.ok()) return s;
    if (c.to_class == ReserveClass::kUnspecified) {
      return InvalidField(field + ".to_class", "required");
    }
    b.Move(absl::StrCat("g:", l.metal),
           StockAccountName(l.metal, l.depot, l.reserve_class, l.owner), true,
           StockAccountName(l.metal, l.depot, c.to_class, c.to_owner), true, l.net_mass_g);
    b.Move(l.currency, CostAccountName(l.currency, l.metal, l.depot, l.reserve_class, l.owner),
           true, CostAccountName(l.currency, l.metal, l.depot, c.to_class, c.to_owner), true,
           l.cost_minor);
  }
  return b.Finish(tx);
}

}  // namespace reserve::inventory
