#include "services/commercial/common.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "services/domain/dates.h"
#include "services/inventory/model.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::commercial {

namespace keys {
std::string Enterprise(absl::string_view id) { return absl::StrCat("enterprise/", id); }
std::string Agreement(absl::string_view id) { return absl::StrCat("agreement/", id); }
std::string AgreementIndex(absl::string_view enterprise, absl::string_view metal) {
  return absl::StrCat("agreement-index/", enterprise, "/", metal);
}
std::string Pledge(absl::string_view pledge_id) { return absl::StrCat("pledge/", pledge_id); }
std::string PledgePrefix(absl::string_view bank) {
  // Bank ids have no ':', so "pledge/icbc:" never matches another bank's pledges.
  return bank.empty() ? "pledge/" : absl::StrCat("pledge/", bank, ":");
}
std::string MarkedPrice(absl::string_view metal, absl::string_view currency) {
  return absl::StrCat("financing/price/", metal, "/", currency);
}
std::string MtmCursor() { return "financing/mtm-cursor"; }
std::string MarkToMarket(ledger::Seq source_seq) {
  return absl::StrFormat("financing/mtm/%020d", source_seq);
}
std::string CallUp(absl::string_view id) { return absl::StrCat("call-up/", id); }
std::string Statement(absl::string_view statement_id) {
  return absl::StrCat("subsidy-statement/", statement_id);
}
std::string StatementPrefix(absl::string_view enterprise) {
  return absl::StrCat("subsidy-statement/", enterprise, ":");
}
std::string Lot(absl::string_view id) { return absl::StrCat("lot/", id); }
std::string Depot(absl::string_view id) { return absl::StrCat("depot/", id); }
std::string PriceMarkPrefix(absl::string_view metal) { return absl::StrCat("price/", metal, "/"); }
std::string BudgetAccount(Budget budget, absl::string_view currency) {
  return absl::StrCat("budget/", BudgetName(budget), "/", currency);
}
std::string TreasuryAccount(absl::string_view currency) {
  return absl::StrCat("treasury/", currency);
}
std::string PaidAccount(Budget budget, absl::string_view currency, absl::string_view payee) {
  return absl::StrCat("paid/", BudgetName(budget), "/", currency, "/", payee);
}
}  // namespace keys

std::string BankOwner(absl::string_view bank) { return absl::StrCat("bank:", bank); }

namespace internal {

namespace {
bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}
}  // namespace

// Ids: letters, digits and . _ - (no ':' or '/': they separate parts of keys and ids).
absl::Status CheckId(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxIdChars) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxIdChars, " characters"));
  }
  if (!std::all_of(value.begin(), value.end(), IsIdChar)) {
    return InvalidField(field, "only letters, digits and . _ - are allowed");
  }
  return absl::OkStatus();
}

absl::Status CheckLotId(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxIdChars) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxIdChars, " characters"));
  }
  if (!std::all_of(value.begin(), value.end(), [](char c) { return IsIdChar(c) || c == ':'; })) {
    return InvalidField(field, "only letters, digits and . _ - : are allowed");
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view value, absl::string_view field, bool required) {
  if (required && value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxTextChars) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxTextChars, " bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return InvalidField(field, "control characters are not allowed");
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

absl::Status CheckContext(const Context& ctx) {
  if (ctx.request_id.empty()) return InvalidField("request_id", "required");
  if (ctx.request_id.size() > kMaxRequestIdChars) {
    return InvalidField("request_id", absl::StrCat("longer than ", kMaxRequestIdChars, " bytes"));
  }
  for (unsigned char c : ctx.request_id) {
    if (c < 0x20 || c == 0x7f) return InvalidField("request_id", "control characters");
  }
  if (ctx.principal.empty()) return absl::UnauthenticatedError("no principal");
  return CheckDate(ctx.business_date, "business_date");
}

absl::Status NotFound(absl::string_view reason, absl::string_view message) {
  return Rejection(absl::StatusCode::kNotFound, reason, message);
}

std::string Fingerprint(absl::string_view text) {
  uint64_t a = 14695981039346656037ULL;
  uint64_t b = 0x6c62272e07bb0142ULL;
  for (unsigned char c : text) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b ^ c) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
  }
  // A final avalanche (splitmix64's), so ids from similar request ids do not look alike.
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return absl::StrFormat("%016x%016x", mix(a), mix(b ^ a));
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

absl::StatusOr<ledger::RecordPage> ScanAll(ledger::Ledger& ledger, absl::string_view prefix,
                                           size_t max, ledger::ReadOptions options) {
  ledger::RecordPage out;
  ledger::Page page{ledger::kMaxPageSize, ""};
  while (true) {
    absl::StatusOr<ledger::RecordPage> p = ledger.ScanRecords(prefix, page, options);
    if (!p.ok()) return p.status();
    options.at_seq = p->as_of_seq;
    out.as_of_seq = p->as_of_seq;
    for (ledger::Record& r : p->records) out.records.push_back(std::move(r));
    if (out.records.size() > max) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", max, " records under ", prefix));
    }
    if (p->next_page_token.empty()) return out;
    page.page_token = p->next_page_token;
  }
}

absl::StatusOr<ledger::RecordPage> FilteredPage(
    ledger::Ledger& ledger, absl::string_view prefix, size_t page_size,
    const std::string& page_token,
    const std::function<absl::StatusOr<bool>(const ledger::Record&)>& keep) {
  // A filtered page may scan this many records before it returns short, with a token.
  constexpr size_t kMaxScanPerPage = 20'000;
  ledger::RecordPage out;
  ledger::Page page{page_size, page_token};
  ledger::ReadOptions options;
  size_t scanned = 0;
  while (true) {
    page.page_size = page_size - out.records.size();
    absl::StatusOr<ledger::RecordPage> p = ledger.ScanRecords(prefix, page, options);
    if (!p.ok()) {
      if (p.status().code() == absl::StatusCode::kInvalidArgument) {
        return InvalidField("page_token", "not a token this service issued");
      }
      return p.status();
    }
    options.at_seq = p->as_of_seq;
    out.as_of_seq = p->as_of_seq;
    for (ledger::Record& r : p->records) {
      absl::StatusOr<bool> wanted = keep(r);
      if (!wanted.ok()) return wanted.status();
      if (*wanted) out.records.push_back(std::move(r));
    }
    scanned += p->records.size();
    out.next_page_token = p->next_page_token;
    if (out.next_page_token.empty() || out.records.size() >= page_size ||
        scanned >= kMaxScanPerPage) {
      return out;
    }
    page.page_token = out.next_page_token;
  }
}

void Postings::Post(const std::string& account, const std::string& unit, bool guarded,
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

void Postings::Move(const std::string& unit, const std::string& from, bool from_guarded,
                    const std::string& to, bool to_guarded, int64_t amount) {
  if (amount == 0) return;
  Post(from, unit, from_guarded, -amount);
  Post(to, unit, to_guarded, amount);
}

absl::Status Postings::Finish(ledger::Transaction& tx) const {
  if (overflow_) {
    return Rejection(absl::StatusCode::kFailedPrecondition, reason::kOverflow,
                     "amounts overflow 64 bits");
  }
  std::set<std::string> opened;
  for (const ledger::AccountSpec& a : tx.open_accounts) opened.insert(a.id);
  for (const auto& [id, spec_amount] : accounts_) {
    if (spec_amount.second == 0) continue;
    if (opened.insert(id).second) tx.open_accounts.push_back(spec_amount.first);
    tx.postings.push_back(ledger::Posting{id, spec_amount.second});
  }
  return absl::OkStatus();
}

bool Retryable(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kAborted || s.code() == absl::StatusCode::kAlreadyExists) {
    return true;
  }
  std::optional<std::string> r = ReasonOf(s);
  return s.code() == absl::StatusCode::kFailedPrecondition && r.has_value() &&
         *r == reason::kAccountExists;
}

absl::StatusOr<Mutation<std::string>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                             const std::string& receipt_key,
                                             const std::string& ledger_request_id,
                                             absl::string_view kind, absl::string_view request_text,
                                             const Planner& planner) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  const std::string fp = Fingerprint(absl::StrCat(kind, "|", domain::FormatDate(ctx.business_date),
                                                  "|", ctx.principal, "|", request_text));
  absl::Status last = absl::AbortedError("no attempt made");
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    absl::StatusOr<ledger::RecordSet> seen = ReadRecords(ledger, {receipt_key});
    if (!seen.ok()) return seen.status();
    const ledger::Record& receipt = seen->records.front();
    if (receipt.version != 0) {
      nlohmann::json stored = nlohmann::json::parse(receipt.value, nullptr, false);
      if (stored.is_discarded() || !stored.contains("fp") || !stored.contains("response") ||
          !stored["fp"].is_string() || !stored["response"].is_string()) {
        return absl::DataLossError(absl::StrCat("malformed receipt record ", receipt_key));
      }
      if (stored["fp"].get<std::string>() != fp) {
        return Rejection(
            absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
            absl::StrCat("request id ", ctx.request_id, " was used for a different request"));
      }
      return Mutation<std::string>{stored["response"].get<std::string>(), receipt.version, true};
    }
    absl::StatusOr<Plan> plan = planner();
    if (!plan.ok()) return plan.status();
    ledger::Transaction& tx = plan->tx;
    tx.request_id = ledger_request_id;
    tx.kind = std::string(kind);
    tx.principal = ctx.principal;
    tx.business_date = ctx.business_date;
    nlohmann::json receipt_json = {{"fp", fp}, {"response", plan->response}};
    tx.writes.push_back(ledger::RecordWrite{receipt_key, 0, receipt_json.dump(), false});
    if (tx.writes.size() > ledger::kMaxWrites) {
      return absl::ResourceExhaustedError("too many record writes in one request");
    }
    absl::StatusOr<ledger::Receipt> committed = ledger.Commit(tx);
    if (committed.ok()) {
      return Mutation<std::string>{std::move(plan->response), committed->seq, committed->replayed};
    }
    if (!Retryable(committed.status())) return committed.status();
    last = committed.status();
  }
  return last;
}

int64_t DaysInclusive(absl::CivilDay from, absl::CivilDay to) {
  return to < from ? 0 : (to - from) + 1;
}

}  // namespace internal
}  // namespace reserve::commercial
