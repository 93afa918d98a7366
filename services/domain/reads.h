// Bounded ledger reads: any number of keys or accounts in chunks the ledger accepts, whole
// prefixes up to a stated maximum, and one page of a filtered scan. Every multi-call read is
// pinned to the sequence number of its first call, so it sees one snapshot. Thread-safe (no
// state).
#ifndef RESERVE_SERVICES_DOMAIN_READS_H_
#define RESERVE_SERVICES_DOMAIN_READS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/domain/checks.h"
#include "storage/ledger.h"

namespace reserve::domain {

// The records under `keys`, in the same order (version 0 for absent ones), read
// ledger::kMaxKeysPerRead at a time at one sequence number (`options.at_seq`, or the first
// chunk's).
absl::StatusOr<ledger::RecordSet> ReadRecords(ledger::Ledger& ledger,
                                              const std::vector<std::string>& keys,
                                              ledger::ReadOptions options = {});

// The record under `key` (version 0 when absent).
absl::StatusOr<ledger::Record> ReadRecord(ledger::Ledger& ledger, const std::string& key,
                                          ledger::ReadOptions options = {});

// Balances by account (0 for accounts that do not exist), at one sequence number; as of the
// business date `as_of` when given.
absl::StatusOr<std::map<std::string, int64_t>> ReadBalances(
    ledger::Ledger& ledger, const std::vector<std::string>& accounts,
    std::optional<absl::CivilDay> as_of = std::nullopt, ledger::ReadOptions options = {});

// A decoded record and the version it was read at (for compare-and-set).
template <typename T>
struct Loaded {
  T value;
  uint64_t version = 0;
};

// Reads `key` and decodes it with `decode`: NOT_FOUND with `unknown` and `message` when the
// record is absent; the decoder's error when it is malformed.
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

// Every live record under `prefix` at one sequence number (reported in `as_of_seq`);
// RESOURCE_EXHAUSTED when there are more than `max_records`.
absl::StatusOr<ledger::RecordPage> ScanAll(ledger::Ledger& ledger, absl::string_view prefix,
                                           size_t max_records, ledger::ReadOptions options = {});

// Appends every account under `prefix` to `out`, read at `options.at_seq` (set by the first
// read when 0, so several prefixes read one after another see one snapshot);
// RESOURCE_EXHAUSTED when `out` grows beyond `max_accounts`.
absl::Status ScanAllBalances(ledger::Ledger& ledger, absl::string_view prefix, size_t max_accounts,
                             ledger::ReadOptions& options, std::vector<ledger::Balance>& out);

// A page size a List request may ask for: 1..ledger::kMaxPageSize (INVALID_ARGUMENT naming
// "page_size" otherwise).
absl::Status CheckPageSize(size_t page_size);

// One page of records under `prefix`. INVALID_ARGUMENT naming "page_size" outside
// 1..ledger::kMaxPageSize, or "page_token" for a token the ledger did not issue.
absl::StatusOr<ledger::RecordPage> ScanPage(ledger::Ledger& ledger, absl::string_view prefix,
                                            size_t page_size, const std::string& page_token);

// Looks at one scanned record of a filtered page: true when it counts toward the page (the
// filter keeps what it decoded), false to skip it; an error stops the scan.
using RecordFilter = std::function<absl::StatusOr<bool>(const ledger::Record&)>;

// The work one filtered page may do: records scanned before it returns short, with a token.
inline constexpr size_t kMaxScannedPerPage = 20'000;

// One page of a filtered scan under `prefix`: hands each record from `page_token` on to
// `take`, at one sequence number, until `page_size` records were taken, the prefix ends, or
// kMaxScannedPerPage records were scanned (the page may come back short). Returns the token
// to continue from (empty at the end). INVALID_ARGUMENT naming "page_size" outside
// 1..ledger::kMaxPageSize, or "page_token" for a token the ledger did not issue.
absl::StatusOr<std::string> FilteredPage(ledger::Ledger& ledger, absl::string_view prefix,
                                         size_t page_size, const std::string& page_token,
                                         const RecordFilter& take);

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_READS_H_
