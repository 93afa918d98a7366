#include "services/domain/reads.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "storage/errors.h"

namespace reserve::domain {
namespace {

// The ledger refuses a token it did not issue as INVALID_ARGUMENT; the caller sent it.
absl::Status BadToken() { return InvalidField("page_token", "not a token this service issued"); }

}  // namespace

absl::Status CheckPageSize(size_t page_size) {
  if (page_size == 0 || page_size > ledger::kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("between 1 and ", ledger::kMaxPageSize));
  }
  return absl::OkStatus();
}

absl::StatusOr<ledger::RecordSet> ReadRecords(ledger::Ledger& ledger,
                                              const std::vector<std::string>& keys,
                                              ledger::ReadOptions options) {
  ledger::RecordSet out;
  out.records.reserve(keys.size());
  for (size_t start = 0; start < keys.size(); start += ledger::kMaxKeysPerRead) {
    size_t n = std::min(ledger::kMaxKeysPerRead, keys.size() - start);
    absl::StatusOr<ledger::RecordSet> set =
        ledger.GetRecords(absl::MakeConstSpan(keys).subspan(start, n), options);
    if (!set.ok()) return set.status();
    options.at_seq = set->as_of_seq;
    out.as_of_seq = set->as_of_seq;
    for (ledger::Record& r : set->records) out.records.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<ledger::Record> ReadRecord(ledger::Ledger& ledger, const std::string& key,
                                          ledger::ReadOptions options) {
  absl::StatusOr<ledger::RecordSet> set = ReadRecords(ledger, {key}, options);
  if (!set.ok()) return set.status();
  return std::move(set->records.front());
}

absl::StatusOr<std::map<std::string, int64_t>> ReadBalances(
    ledger::Ledger& ledger, const std::vector<std::string>& accounts,
    std::optional<absl::CivilDay> as_of, ledger::ReadOptions options) {
  std::map<std::string, int64_t> out;
  for (size_t start = 0; start < accounts.size(); start += ledger::kMaxKeysPerRead) {
    size_t n = std::min(ledger::kMaxKeysPerRead, accounts.size() - start);
    auto span = absl::MakeConstSpan(accounts).subspan(start, n);
    absl::StatusOr<ledger::BalanceSet> set = as_of.has_value()
                                                 ? ledger.GetBalancesAsOfDate(span, *as_of, options)
                                                 : ledger.GetBalances(span, options);
    if (!set.ok()) return set.status();
    options.at_seq = set->as_of_seq;
    for (const ledger::Balance& b : set->balances) out[b.account] = b.exists ? b.amount : 0;
  }
  return out;
}

absl::StatusOr<ledger::RecordPage> ScanAll(ledger::Ledger& ledger, absl::string_view prefix,
                                           size_t max_records, ledger::ReadOptions options) {
  ledger::RecordPage out;
  ledger::Page page{ledger::kMaxPageSize, ""};
  while (true) {
    absl::StatusOr<ledger::RecordPage> p = ledger.ScanRecords(prefix, page, options);
    if (!p.ok()) return p.status();
    options.at_seq = p->as_of_seq;
    out.as_of_seq = p->as_of_seq;
    for (ledger::Record& r : p->records) out.records.push_back(std::move(r));
    if (out.records.size() > max_records) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", max_records, " records under ", prefix));
    }
    if (p->next_page_token.empty()) return out;
    page.page_token = p->next_page_token;
  }
}

absl::Status ScanAllBalances(ledger::Ledger& ledger, absl::string_view prefix, size_t max_accounts,
                             ledger::ReadOptions& options, std::vector<ledger::Balance>& out) {
  ledger::Page page{ledger::kMaxPageSize, ""};
  while (true) {
    absl::StatusOr<ledger::BalancePage> p = ledger.ScanBalances(prefix, page, options);
    if (!p.ok()) return p.status();
    options.at_seq = p->as_of_seq;
    for (ledger::Balance& b : p->balances) out.push_back(std::move(b));
    if (out.size() > max_accounts) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", max_accounts, " accounts to aggregate"));
    }
    if (p->next_page_token.empty()) return absl::OkStatus();
    page.page_token = p->next_page_token;
  }
}

absl::StatusOr<ledger::RecordPage> ScanPage(ledger::Ledger& ledger, absl::string_view prefix,
                                            size_t page_size, const std::string& page_token) {
  if (absl::Status s = CheckPageSize(page_size); !s.ok()) return s;
  absl::StatusOr<ledger::RecordPage> p =
      ledger.ScanRecords(prefix, ledger::Page{page_size, page_token}, {});
  if (!p.ok() && p.status().code() == absl::StatusCode::kInvalidArgument) return BadToken();
  return p;
}

absl::StatusOr<std::string> FilteredPage(ledger::Ledger& ledger, absl::string_view prefix,
                                         size_t page_size, const std::string& page_token,
                                         const RecordFilter& take) {
  if (absl::Status s = CheckPageSize(page_size); !s.ok()) return s;
  ledger::Page page{page_size, page_token};
  ledger::ReadOptions options;
  size_t taken = 0;
  size_t scanned = 0;
  while (true) {
    page.page_size = page_size - taken;
    absl::StatusOr<ledger::RecordPage> p = ledger.ScanRecords(prefix, page, options);
    if (!p.ok()) {
      if (p.status().code() == absl::StatusCode::kInvalidArgument) return BadToken();
      return p.status();
    }
    options.at_seq = p->as_of_seq;
    for (const ledger::Record& r : p->records) {
      absl::StatusOr<bool> take_it = take(r);
      if (!take_it.ok()) return take_it.status();
      if (*take_it) ++taken;
    }
    scanned += p->records.size();
    if (p->next_page_token.empty() || taken >= page_size || scanned >= kMaxScannedPerPage) {
      return std::move(p->next_page_token);
    }
    page.page_token = std::move(p->next_page_token);
  }
}

}  // namespace reserve::domain
