// The decision domain's ledger plumbing: input checks shared by every request, a posting
// accumulator, idempotent mutations with re-read-and-retry, and bounded reads.
//
// Mutations follow the inventory service's pattern (services/inventory/README.md): the first
// commit of a request stores a receipt record "decision-request/<request_id>" with a SHA-256
// fingerprint of the request and its response; a retry with the same content returns that
// response (replayed = true); other content under the same id is ALREADY_EXISTS
// (REQUEST_ID_REUSED). The ledger transaction's own request id is "decision/<request_id>".
// A version conflict, or a guarded balance that a concurrent writer spent, re-reads and
// re-decides (up to kMaxCommitAttempts).
//
// Plain C++ over storage/ledger.h; thread-safe (no state).
#ifndef RESERVE_SERVICES_DECISION_MUTATION_H_
#define RESERVE_SERVICES_DECISION_MUTATION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "services/inventory/inventory.h"
#include "storage/ledger.h"

namespace reserve::decision {

using json = nlohmann::json;
// Who asks, under which request id, on which business date (shared with inventory).
using Context = inventory::Context;
template <typename T>
using Mutation = inventory::Mutation<T>;

// Limits shared by every request (INVALID_ARGUMENT beyond them).
inline constexpr size_t kMaxIdChars = 64;          // ids become parts of ledger keys
inline constexpr size_t kMaxRequestIdChars = 150;  // derived ids ("auction-delivery/<id>") fit
inline constexpr size_t kMaxTextChars = 256;       // names, titles, comments
inline constexpr size_t kMaxLongTextChars = 8192;  // rationales (explanations of many metals)
inline constexpr int kMaxCommitAttempts = 8;       // re-read-and-retry on conflicts

// ---- Input checks (INVALID_ARGUMENT naming `field`). ----

// Letters, digits and . _ - : only (ids are parts of ledger keys separated by '/').
absl::Status CheckId(absl::string_view value, absl::string_view field);
absl::Status CheckText(absl::string_view value, absl::string_view field, bool required,
                       size_t max_chars = kMaxTextChars);
// 1 to 8 upper-case letters or digits, starting with a letter (the inventory catalog's form).
absl::Status CheckMetalCode(absl::string_view code, absl::string_view field);
absl::Status CheckCurrency(absl::string_view code, absl::string_view field);
absl::Status CheckDate(absl::CivilDay day, absl::string_view field);
absl::Status CheckYear(int64_t year, absl::string_view field);
absl::Status CheckContext(const Context& ctx);

absl::Status NotFound(absl::string_view reason, absl::string_view message);

// ---- Postings: accumulate per account, then emit the non-zero sums and the accounts. ----
class TxBuilder {
 public:
  // Adds `amount` to `account` (opened with `unit` and `guarded` if the sum is non-zero).
  void Post(const std::string& account, const std::string& unit, bool guarded, int64_t amount);
  // Moves `amount` from `from` to `to` (both in `unit`); nothing for a zero amount.
  void Move(const std::string& unit, const std::string& from, bool from_guarded,
            const std::string& to, bool to_guarded, int64_t amount);
  // Posts to `account` without opening it in the transaction: for accounts known to exist,
  // when a transaction touches more of them than the ledger lets one transaction open.
  void MarkExisting(const std::string& account) { existing_.insert(account); }
  // Appends the accounts and postings to `tx`. FAILED_PRECONDITION (OVERFLOW) when a sum
  // overflowed; RESOURCE_EXHAUSTED above the ledger's limits.
  absl::Status Finish(ledger::Transaction& tx) const;

 private:
  std::map<std::string, std::pair<ledger::AccountSpec, int64_t>> accounts_;
  std::set<std::string> existing_;
  bool overflow_ = false;
};

// ---- Mutations ----
struct Plan {
  ledger::Transaction tx;  // request id, kind, principal and date are filled in by Mutate
  json response;
};
using Planner = std::function<absl::StatusOr<Plan>()>;

// Runs `planner` and commits its transaction with the receipt record, idempotently (see the
// file comment). `request` is what the fingerprint covers, besides `kind` and the date.
absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                      absl::string_view kind, const json& request,
                                      const Planner& planner);

// Decodes a mutation's JSON response with `decode` (DATA_LOSS if it throws or fails).
template <typename T>
absl::StatusOr<Mutation<T>> Convert(absl::StatusOr<Mutation<json>> m,
                                    const std::function<absl::StatusOr<T>(const json&)>& decode) {
  if (!m.ok()) return m.status();
  try {
    absl::StatusOr<T> value = decode(m->value);
    if (!value.ok()) return value.status();
    return Mutation<T>{*std::move(value), m->seq, m->replayed};
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed stored response: ", e.what()));
  }
}

// True for the outcomes a re-read may resolve: ABORTED (version conflict), and the guarded
// balance or account races (INSUFFICIENT_BALANCE, ACCOUNT_EXISTS).
bool Retryable(const absl::Status& status);

// ---- Reads ----
absl::StatusOr<std::vector<ledger::Record>> ReadRecords(ledger::Ledger& ledger,
                                                        const std::vector<std::string>& keys,
                                                        ledger::ReadOptions options = {});
absl::StatusOr<ledger::Record> ReadRecord(ledger::Ledger& ledger, const std::string& key,
                                          ledger::ReadOptions options = {});
// Balances (0 for accounts that do not exist), optionally as of a business date.
absl::StatusOr<std::map<std::string, int64_t>> ReadBalances(
    ledger::Ledger& ledger, const std::vector<std::string>& accounts,
    std::optional<absl::CivilDay> as_of = std::nullopt, ledger::ReadOptions options = {});
// Every record under `prefix` at one snapshot; RESOURCE_EXHAUSTED above `max_records`.
// `options.at_seq` is set to the snapshot read.
absl::StatusOr<std::vector<ledger::Record>> ScanAll(ledger::Ledger& ledger,
                                                    absl::string_view prefix, size_t max_records,
                                                    ledger::ReadOptions& options);

// One page of records under `prefix` (page_size 1..kMaxPageSize); a bad token is
// INVALID_ARGUMENT naming "page_token".
absl::StatusOr<ledger::RecordPage> ScanPage(ledger::Ledger& ledger, absl::string_view prefix,
                                            size_t page_size, const std::string& page_token);

// Loads and decodes `key`: NOT_FOUND with `unknown` when absent. Returns value and version.
template <typename T>
using Loaded = std::pair<T, uint64_t>;

template <typename T>
absl::StatusOr<Loaded<T>> Load(ledger::Ledger& ledger, const std::string& key,
                               absl::string_view unknown, absl::string_view message,
                               absl::StatusOr<T> (*decode)(absl::string_view),
                               ledger::ReadOptions options = {}) {
  absl::StatusOr<ledger::Record> r = ReadRecord(ledger, key, options);
  if (!r.ok()) return r.status();
  if (r->version == 0) return NotFound(unknown, message);
  absl::StatusOr<T> value = decode(r->value);
  if (!value.ok()) return value.status();
  return Loaded<T>{*std::move(value), r->version};
}

}  // namespace reserve::decision

#endif  // RESERVE_SERVICES_DECISION_MUTATION_H_
