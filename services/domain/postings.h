// The posting accumulator: a mutation's planner posts amounts to accounts as it decides, and
// Finish turns the sums into the transaction's postings and the accounts it opens.
#ifndef RESERVE_SERVICES_DOMAIN_POSTINGS_H_
#define RESERVE_SERVICES_DOMAIN_POSTINGS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "storage/ledger.h"

namespace reserve::domain {

// Accumulates postings per account. Not thread-safe (one planner owns one builder).
class TxBuilder {
 public:
  // Adds `amount` to `account`, which is opened with `unit` and `guarded` (non-negative) if its
  // sum is non-zero at Finish. An overflowing sum makes Finish fail.
  void Post(const std::string& account, const std::string& unit, bool guarded, int64_t amount);

  // Moves `amount` from `from` to `to`, both in `unit`; nothing for a zero amount.
  void Move(const std::string& unit, const std::string& from, bool from_guarded,
            const std::string& to, bool to_guarded, int64_t amount);

  // Posts to `account` without opening it: for accounts known to exist, when a transaction
  // touches more of them than the ledger lets one transaction open (kMaxOpenAccounts).
  void MarkExisting(const std::string& account) { existing_.insert(account); }

  // Appends the non-zero sums to `tx.postings` and opens their accounts, except those marked
  // existing and those `tx` opens already (another builder's). FAILED_PRECONDITION (OVERFLOW)
  // when a sum overflowed; RESOURCE_EXHAUSTED when `tx` would open more than
  // ledger::kMaxOpenAccounts accounts or carry more than ledger::kMaxPostings postings. `tx`
  // is unchanged on error.
  absl::Status Finish(ledger::Transaction& tx) const;

 private:
  struct Sum {
    ledger::AccountSpec spec;
    int64_t amount = 0;
  };
  std::map<std::string, Sum> accounts_;  // ordered: the postings come out sorted by account
  absl::flat_hash_set<std::string> existing_;
  bool overflow_ = false;
};

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_POSTINGS_H_
