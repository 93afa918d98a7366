#include "services/domain/postings.h"

#include <iterator>
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
  std::vector<ledger::Posting> postings;
  for (const auto& [id, sum] : accounts_) {
    if (sum.amount == 0) continue;
    if (!existing_.contains(id) && !opened.contains(id)) to_open.push_back(sum.spec);
    postings.push_back(ledger::Posting{id, sum.amount});
  }
  if (tx.open_accounts.size() + to_open.size() > ledger::kMaxOpenAccounts ||
      tx.postings.size() + postings.size() > ledger::kMaxPostings) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request touches more than ", ledger::kMaxOpenAccounts, " accounts"));
  }
  tx.open_accounts.insert(tx.open_accounts.end(), std::make_move_iterator(to_open.begin()),
                          std::make_move_iterator(to_open.end()));
  tx.postings.insert(tx.postings.end(), std::make_move_iterator(postings.begin()),
                     std::make_move_iterator(postings.end()));
  return absl::OkStatus();
}

}  // namespace reserve::domain
