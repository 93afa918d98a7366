#include "services/inventory/ownership.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::inventory {
namespace {

constexpr size_t kMaxOwnerChars = 64;  // the same bound as inventory.h's kMaxIdChars

bool IsOwnerId(absl::string_view id) {
  return !id.empty() && id.size() <= kMaxOwnerChars &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                  c == '-' || c == ':';
         });
}

}  // namespace

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
  // account -> (unit, net amount); std::map keeps the postings in a stable order.
  std::map<std::string, std::pair<std::string, int64_t>> sums;
  bool overflow = false;
  auto post = [&](const std::string& account, const std::string& unit, int64_t amount) {
    auto [it, inserted] = sums.try_emplace(account, unit, int64_t{0});
    std::optional<int64_t> sum = CheckedAdd(it->second.second, amount);
    if (!sum.has_value()) {
      overflow = true;
      return;
    }
    it->second.second = *sum;
  };
  std::set<std::string> seen;
  for (size_t i = 0; i < changes.size(); ++i) {
    const OwnerChange& c = changes[i];
    const Lot& l = c.lot;
    const std::string field = absl::StrCat("lots[", i, "]");
    if (l.status == LotStatus::kInTransit || l.status == LotStatus::kReleased) {
      return InvalidField(field, absl::StrCat("lot ", l.id, " is ", LotStatusName(l.status)));
    }
    if (!seen.insert(l.id).second) return InvalidField(field, "a lot appears twice");
    if (!IsOwnerId(c.to_owner)) return InvalidField(field + ".to_owner", "not an owner id");
    if (c.to_class == ReserveClass::kUnspecified) {
      return InvalidField(field + ".to_class", "required");
    }
    const std::string mass_unit = absl::StrCat("g:", l.metal);
    post(StockAccountName(l.metal, l.depot, l.reserve_class, l.owner), mass_unit, -l.net_mass_g);
    post(StockAccountName(l.metal, l.depot, c.to_class, c.to_owner), mass_unit, l.net_mass_g);
    if (l.cost_minor != 0) {
      post(CostAccountName(l.currency, l.metal, l.depot, l.reserve_class, l.owner), l.currency,
           -l.cost_minor);
      post(CostAccountName(l.currency, l.metal, l.depot, c.to_class, c.to_owner), l.currency,
           l.cost_minor);
    }
  }
  if (overflow) {
    return Rejection(absl::StatusCode::kFailedPrecondition, reason::kOverflow,
                     "amounts overflow 64 bits");
  }
  std::set<std::string> opened;
  for (const ledger::AccountSpec& a : tx.open_accounts) opened.insert(a.id);
  for (const auto& [account, unit_amount] : sums) {
    if (unit_amount.second == 0) continue;
    if (opened.insert(account).second) {
      tx.open_accounts.push_back(ledger::AccountSpec{account, unit_amount.first, true});
    }
    tx.postings.push_back(ledger::Posting{account, unit_amount.second});
  }
  return absl::OkStatus();
}

}  // namespace reserve::inventory
