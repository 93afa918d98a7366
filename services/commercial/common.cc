#include "services/commercial/common.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/domain/dates.h"
#include "services/domain/fingerprint.h"

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

absl::Status CheckId(absl::string_view value, absl::string_view field) {
  return domain::CheckId(value, field, domain::Colon::kReserved);
}

absl::Status CheckLotId(absl::string_view value, absl::string_view field) {
  return domain::CheckId(value, field);
}

absl::Status CheckContext(const Context& ctx) {
  return domain::CheckContext(ctx, kMaxRequestIdChars);
}

std::string Fingerprint(absl::string_view text) { return domain::Fnv128MixedHex(text); }

absl::StatusOr<Mutation<std::string>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                             absl::string_view receipt_prefix,
                                             absl::string_view kind, absl::string_view request_text,
                                             const domain::Planner& planner) {
  const domain::MutationSpec spec{receipt_prefix, receipt_prefix, kMaxRequestIdChars};
  const std::string fp = Fingerprint(absl::StrCat(kind, "|", domain::FormatDate(ctx.business_date),
                                                  "|", ctx.principal, "|", request_text));
  absl::StatusOr<Mutation<domain::json>> m = domain::Mutate(ledger, spec, ctx, kind, fp, planner);
  if (!m.ok()) return m.status();
  if (!m->value.is_string()) {
    return absl::DataLossError(
        absl::StrCat("malformed receipt record ", receipt_prefix, ctx.request_id));
  }
  return Mutation<std::string>{m->value.get<std::string>(), m->seq, m->replayed};
}

bool RetryableOrRaced(const absl::Status& s) {
  return domain::Retryable(s) || s.code() == absl::StatusCode::kAlreadyExists;
}

absl::StatusOr<std::vector<ledger::Seq>> EntriesWriting(ledger::Ledger& ledger,
                                                        absl::string_view prefix,
                                                        ledger::Seq from, ledger::Seq head) {
  const ledger::ReadOptions at_head{head};
  std::set<ledger::Seq> seqs;
  ledger::Page page{ledger::kMaxPageSize, ""};
  do {
    absl::StatusOr<ledger::RecordPage> p = ledger.ScanRecords(prefix, page, at_head);
    if (!p.ok()) return p.status();
    for (const ledger::Record& r : p->records) {
      if (r.version < from) continue;
      absl::StatusOr<std::vector<ledger::Seq>> versions = ledger.RecordHistory(r.key, at_head);
      if (!versions.ok()) return versions.status();
      for (ledger::Seq v : *versions) {
        if (v >= from) seqs.insert(v);
      }
    }
    page.page_token = p->next_page_token;
  } while (!page.page_token.empty());
  return std::vector<ledger::Seq>(seqs.begin(), seqs.end());
}

absl::StatusOr<ledger::JournalEntry> ReadEntry(ledger::Ledger& ledger, ledger::Seq seq) {
  absl::StatusOr<std::vector<ledger::JournalEntry>> entries = ledger.ReadJournal(seq, 1);
  if (!entries.ok()) return entries.status();
  if (entries->size() != 1 || entries->front().seq != seq) {
    return absl::InternalError(absl::StrCat("journal entry ", seq, " is missing"));
  }
  return std::move(entries->front());
}

int64_t DaysInclusive(absl::CivilDay from, absl::CivilDay to) {
  return to < from ? 0 : (to - from) + 1;
}

}  // namespace internal
}  // namespace reserve::commercial
