#include "services/domain/postings.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::domain {

void TxBuilder::Post(const std::string& account, const std::string& unit, bool guarded,
                     int64_t amount) {
  auto [it, inserted] =
      accounts_.try_emplace(account, Sum{ledger::AccountSpec{account, unit, guarded}, 0});
  std::optional<int64_t> sum = CheckedAdd(it->second.amount, amount);
  if (!sum.has_value()) {
    overflow_ = true;
    return;
  }
  it->second.amount = *sum;
}

void TxBuilder::Move(const std::string& unit, const std::string& from, bool from_guarded,
                     const std::string& to, bool to_guarded, int64_t amount) {
  if (amount == 0) return;
  Post(from, unit, from_guarded, -amount);
  Post(to, unit, to_guarded, amount);
}

absl::Status TxBuilder::Finish(ledger::Transaction& tx) const {
  if (overflow_) return Precondition(reason::kOverflow, "amounts overflow 64 bits");
  absl::flat_hash_set<absl::string_view> opened;
  for (const ledger::AccountSpec& a : tx.open_accounts) opened.insert(a.id);
  std::vector<ledger::AccountSpec> to_open;
  for (const auto& [id, sum] : accounts_) {
    if (sum.amount == 0) continue;
    if (!existing_.contains(id) && !opened.contains(id)) to_open.push_back(sum.spec);
    tx.postings.push_back(ledger::Posting{id, sum.amount});
  }
  tx.open_accounts.insert(tx.open_accounts.end(), to_open.begin(), to_open.end());
  if (tx.open_accounts.size() > ledger::kMaxOpenAccounts ||
      tx.postings.size() > ledger::kMaxPostings) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request touches more than ", ledger::kMaxOpenAccounts, " accounts"));
  }
  return absl::OkStatus();
}

}  // namespace reserve::domain
