#include "services/decision/mutation.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision {
namespace {

constexpr absl::string_view kRequestPrefix = "decision-request/";
constexpr absl::string_view kLedgerRequestPrefix = "decision/";

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == ':';
}

// SHA-256 of `text`, hex: tells a retry from a different request reusing an id.
std::string Fingerprint(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

absl::Status CheckId(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxIdChars) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxIdChars, " characters"));
  }
  if (!std::all_of(value.begin(), value.end(), IsIdChar)) {
    return InvalidField(field, "only letters, digits and . _ - : are allowed");
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view value, absl::string_view field, bool required,
                       size_t max_chars) {
  if (required && value.empty()) return InvalidField(field, "required");
  if (value.size() > max_chars) {
    return InvalidField(field, absl::StrCat("longer than ", max_chars, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckMetalCode(absl::string_view code, absl::string_view field) {
  if (code.empty() || code.size() > 8 ||
      !absl::ascii_isupper(static_cast<unsigned char>(code[0])) ||
      !std::all_of(code.begin(), code.end(), [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return InvalidField(field, "1 to 8 upper-case letters or digits, starting with a letter");
  }
  return absl::OkStatus();
}

absl::Status CheckCurrency(absl::string_view code, absl::string_view field) {
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c));
      })) {
    return InvalidField(field, "an ISO 4217 code such as CNY");
  }
  return absl::OkStatus();
}

absl::Status CheckDate(absl::CivilDay day, absl::string_view field) {
  if (day < ledger::kMinBusinessDate || day > ledger::kMaxBusinessDate) {
    return InvalidField(field, "outside 1900-01-01..2199-12-31");
  }
  return absl::OkStatus();
}

absl::Status CheckYear(int64_t year, absl::string_view field) {
  if (year < ledger::kMinBusinessDate.year() || year > ledger::kMaxBusinessDate.year()) {
    return InvalidField(field, "a year between 1900 and 2199");
  }
  return absl::OkStatus();
}

absl::Status CheckContext(const Context& ctx) {
  if (ctx.request_id.empty()) return InvalidField("request_id", "required");
  if (ctx.request_id.size() > kMaxRequestIdChars) {
    return InvalidField("request_id", absl::StrCat("longer than ", kMaxRequestIdChars, " bytes"));
  }
  if (ctx.principal.empty()) return absl::UnauthenticatedError("no principal");
  return CheckDate(ctx.business_date, "business_date");
}

absl::Status NotFound(absl::string_view reason, absl::string_view message) {
  return Rejection(absl::StatusCode::kNotFound, reason, message);
}

// ---- TxBuilder ----

void TxBuilder::Post(const std::string& account, const std::string& unit, bool guarded,
                     int64_t amount) {
  auto [it, inserted] =
      accounts_.try_emplace(account, ledger::AccountSpec{account, unit, guarded}, int64_t{0});
  std::optional<int64_t> sum = CheckedAdd(it->second.second, amount);
  if (!sum.has_value()) {
    overflow_ = true;
    return;
  }
  it->second.second = *sum;
}

void TxBuilder::Move(const std::string& unit, const std::string& from, bool from_guarded,
                     const std::string& to, bool to_guarded, int64_t amount) {
  if (amount == 0) return;
  Post(from, unit, from_guarded, -amount);
  Post(to, unit, to_guarded, amount);
}

absl::Status TxBuilder::Finish(ledger::Transaction& tx) const {
  if (overflow_) return Precondition(reason::kOverflow, "amounts overflow 64 bits");
  for (const auto& [id, spec_amount] : accounts_) {
    if (spec_amount.second == 0) continue;
    if (!existing_.contains(id)) tx.open_accounts.push_back(spec_amount.first);
    tx.postings.push_back(ledger::Posting{id, spec_amount.second});
  }
  if (tx.open_accounts.size() > ledger::kMaxOpenAccounts ||
      tx.postings.size() > ledger::kMaxPostings) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request touches more than ", ledger::kMaxOpenAccounts, " accounts"));
  }
  return absl::OkStatus();
}

// ---- Mutations ----

bool Retryable(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kAborted) return true;
  std::optional<std::string> r = ReasonOf(s);
  return s.code() == absl::StatusCode::kFailedPrecondition && r.has_value() &&
         (*r == reason::kInsufficientBalance || *r == reason::kAccountExists);
}

absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                      absl::string_view kind, const json& request,
                                      const Planner& planner) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  json fingerprinted = {
      {"kind", kind}, {"date", inventory::FormatDate(ctx.business_date)}, {"request", request}};
  std::string fp = Fingerprint(fingerprinted.dump());
  std::string receipt_key = absl::StrCat(kRequestPrefix, ctx.request_id);
  absl::Status last = absl::AbortedError("no attempt made");
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    absl::StatusOr<ledger::Record> seen = ReadRecord(ledger, receipt_key);
    if (!seen.ok()) return seen.status();
    if (seen->version != 0) {
      json stored = json::parse(seen->value, nullptr, /*allow_exceptions=*/false);
      if (stored.is_discarded() || !stored.contains("fp") || !stored.contains("response")) {
        return absl::DataLossError(absl::StrCat("malformed receipt record ", receipt_key));
      }
      if (stored["fp"] != fp) {
        return Rejection(
            absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
            absl::StrCat("request id ", ctx.request_id, " was used for a different request"));
      }
      return Mutation<json>{stored["response"], seen->version, true};
    }
    absl::StatusOr<Plan> plan = planner();
    if (!plan.ok()) return plan.status();
    ledger::Transaction& tx = plan->tx;
    tx.request_id = absl::StrCat(kLedgerRequestPrefix, ctx.request_id);
    tx.kind = std::string(kind);
    tx.principal = ctx.principal;
    tx.business_date = ctx.business_date;
    json receipt = {{"fp", fp}, {"response", plan->response}};
    tx.writes.push_back(ledger::RecordWrite{receipt_key, 0, receipt.dump(), false});
    if (tx.writes.size() > ledger::kMaxWrites) {
      return absl::ResourceExhaustedError("too many record writes in one request");
    }
    absl::StatusOr<ledger::Receipt> committed = ledger.Commit(tx);
    if (committed.ok()) {
      return Mutation<json>{std::move(plan->response), committed->seq, committed->replayed};
    }
    if (!Retryable(committed.status())) return committed.status();
    last = committed.status();
  }
  return last;
}

// ---- Reads ----

absl::StatusOr<std::vector<ledger::Record>> ReadRecords(ledger::Ledger& ledger,
                                                        const std::vector<std::string>& keys,
                                                        ledger::ReadOptions options) {
  std::vector<ledger::Record> out;
  out.reserve(keys.size());
  for (size_t start = 0; start < keys.size(); start += ledger::kMaxKeysPerRead) {
    size_t n = std::min(ledger::kMaxKeysPerRead, keys.size() - start);
    absl::StatusOr<ledger::RecordSet> set =
        ledger.GetRecords(absl::MakeConstSpan(keys).subspan(start, n), options);
    if (!set.ok()) return set.status();
    options.at_seq = set->as_of_seq;
    for (ledger::Record& r : set->records) out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<ledger::Record> ReadRecord(ledger::Ledger& ledger, const std::string& key,
                                          ledger::ReadOptions options) {
  absl::StatusOr<std::vector<ledger::Record>> records = ReadRecords(ledger, {key}, options);
  if (!records.ok()) return records.status();
  return std::move(records->front());
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

absl::StatusOr<std::vector<ledger::Record>> ScanAll(ledger::Ledger& ledger,
                                                    absl::string_view prefix, size_t max_records,
                                                    ledger::ReadOptions& options) {
  std::vector<ledger::Record> out;
  ledger::Page page{ledger::kMaxPageSize, ""};
  while (true) {
    absl::StatusOr<ledger::RecordPage> p = ledger.ScanRecords(prefix, page, options);
    if (!p.ok()) return p.status();
    options.at_seq = p->as_of_seq;
    for (ledger::Record& r : p->records) out.push_back(std::move(r));
    if (out.size() > max_records) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", max_records, " records under ", prefix));
    }
    if (p->next_page_token.empty()) return out;
    page.page_token = p->next_page_token;
  }
}

absl::StatusOr<ledger::RecordPage> ScanPage(ledger::Ledger& ledger, absl::string_view prefix,
                                            size_t page_size, const std::string& page_token) {
  if (page_size == 0 || page_size > ledger::kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("between 1 and ", ledger::kMaxPageSize));
  }
  absl::StatusOr<ledger::RecordPage> p =
      ledger.ScanRecords(prefix, ledger::Page{page_size, page_token}, {});
  if (!p.ok() && p.status().code() == absl::StatusCode::kInvalidArgument) {
    return InvalidField("page_token", "not a token this service issued");
  }
  return p;
}

}  // namespace reserve::decision
