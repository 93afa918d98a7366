#include "storage/remote/convert.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "storage/errors.h"

namespace reserve::ledger {

namespace {
// Years beyond this cannot be a business date and would overflow civil-time arithmetic.
constexpr int32_t kMaxWireYear = 9999;
constexpr size_t kDefaultPageSize = 100;
}  // namespace

void ToProto(absl::CivilDay day, v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

absl::StatusOr<absl::CivilDay> FromProto(const v1::Date& date, absl::string_view field) {
  if (date.year() < 1 || date.year() > kMaxWireYear) {
    return InvalidField(field, absl::StrCat("year ", date.year(), " out of range"));
  }
  if (date.month() < 1 || date.month() > 12) {
    return InvalidField(field, absl::StrCat("month ", date.month(), " out of range"));
  }
  // CivilDay normalises (2025-02-30 becomes 2025-03-02); a real day survives unchanged.
  absl::CivilDay day(date.year(), date.month(), date.day());
  if (date.day() < 1 || day.day() != date.day() || day.month() != date.month()) {
    return InvalidField(
        field, absl::StrCat("no day ", date.day(), " in ", date.year(), "-", date.month()));
  }
  return day;
}

void ToProto(const Transaction& tx, v1::Transaction* out) {
  out->set_request_id(tx.request_id);
  out->set_kind(tx.kind);
  out->set_principal(tx.principal);
  ToProto(tx.business_date, out->mutable_business_date());
  for (const AccountSpec& spec : tx.open_accounts) {
    v1::AccountSpec* o = out->add_open_accounts();
    o->set_id(spec.id);
    o->set_unit(spec.unit);
    o->set_non_negative(spec.non_negative);
  }
  for (const Posting& posting : tx.postings) {
    v1::Posting* o = out->add_postings();
    o->set_account(posting.account);
    o->set_amount(posting.amount);
  }
  for (const RecordWrite& write : tx.writes) {
    v1::RecordWrite* o = out->add_writes();
    o->set_key(write.key);
    o->set_expected_version(write.expected_version);
    o->set_value(write.value);
    o->set_erase(write.erase);
  }
  for (const RecordCheck& check : tx.checks) {
    v1::RecordCheck* o = out->add_checks();
    o->set_key(check.key);
    o->set_expected_version(check.expected_version);
  }
  out->set_memo(tx.memo);
}

absl::StatusOr<Transaction> FromProto(const v1::Transaction& tx, absl::string_view field) {
  Transaction out;
  if (!tx.has_business_date()) {
    return InvalidField(absl::StrCat(field, ".business_date"), "required");
  }
  absl::StatusOr<absl::CivilDay> date =
      FromProto(tx.business_date(), absl::StrCat(field, ".business_date"));
  if (!date.ok()) {
    return date.status();
  }
  out.business_date = *date;
  out.request_id = tx.request_id();
  out.kind = tx.kind();
  out.principal = tx.principal();
  out.open_accounts.reserve(static_cast<size_t>(tx.open_accounts_size()));
  for (const v1::AccountSpec& spec : tx.open_accounts()) {
    out.open_accounts.push_back(AccountSpec{spec.id(), spec.unit(), spec.non_negative()});
  }
  out.postings.reserve(static_cast<size_t>(tx.postings_size()));
  for (const v1::Posting& posting : tx.postings()) {
    out.postings.push_back(Posting{posting.account(), posting.amount()});
  }
  out.writes.reserve(static_cast<size_t>(tx.writes_size()));
  for (const v1::RecordWrite& write : tx.writes()) {
    out.writes.push_back(
        RecordWrite{write.key(), write.expected_version(), write.value(), write.erase()});
  }
  out.checks.reserve(static_cast<size_t>(tx.checks_size()));
  for (const v1::RecordCheck& check : tx.checks()) {
    out.checks.push_back(RecordCheck{check.key(), check.expected_version()});
  }
  out.memo = tx.memo();
  return out;
}

void ToProto(const Receipt& receipt, v1::Receipt* out) {
  out->set_seq(receipt.seq);
  out->set_hash(receipt.hash);
  out->set_committed_at_ms(receipt.committed_at_ms);
  out->set_replayed(receipt.replayed);
}

Receipt FromProto(const v1::Receipt& receipt) {
  return Receipt{receipt.seq(), receipt.hash(), receipt.committed_at_ms(), receipt.replayed()};
}

void ToProto(const JournalEntry& entry, v1::JournalEntry* out) {
  out->set_seq(entry.seq);
  out->set_prev_hash(entry.prev_hash);
  out->set_hash(entry.hash);
  out->set_committed_at_ms(entry.committed_at_ms);
  ToProto(entry.tx, out->mutable_transaction());
}

absl::StatusOr<JournalEntry> FromProto(const v1::JournalEntry& entry) {
  absl::StatusOr<Transaction> tx = FromProto(entry.transaction(), "transaction");
  if (!tx.ok()) {
    return tx.status();
  }
  return JournalEntry{entry.seq(), entry.prev_hash(), entry.hash(), entry.committed_at_ms(),
                      *std::move(tx)};
}

void ToProto(const Record& record, v1::Record* out) {
  out->set_key(record.key);
  out->set_value(record.value);
  out->set_version(record.version);
}

Record FromProto(const v1::Record& record) {
  return Record{record.key(), record.value(), record.version()};
}

void ToProto(const Balance& balance, v1::Balance* out) {
  out->set_account(balance.account);
  out->set_unit(balance.unit);
  out->set_non_negative(balance.non_negative);
  out->set_amount(balance.amount);
  out->set_last_seq(balance.last_seq);
  out->set_exists(balance.exists);
}

Balance FromProto(const v1::Balance& balance) {
  return Balance{balance.account(), balance.unit(),     balance.non_negative(),
                 balance.amount(),  balance.last_seq(), balance.exists()};
}

void ToProto(const AccountMovement& movement, v1::AccountMovement* out) {
  out->set_seq(movement.seq);
  ToProto(movement.business_date, out->mutable_business_date());
  out->set_amount(movement.amount);
  out->set_balance_after(movement.balance_after);
}

absl::StatusOr<AccountMovement> FromProto(const v1::AccountMovement& movement) {
  absl::StatusOr<absl::CivilDay> date = FromProto(movement.business_date(), "business_date");
  if (!date.ok()) {
    return date.status();
  }
  return AccountMovement{movement.seq(), *date, movement.amount(), movement.balance_after()};
}

void ToProto(const Head& head, v1::Head* out) {
  out->set_seq(head.seq);
  out->set_hash(head.hash);
}

Head FromProto(const v1::Head& head) { return Head{head.seq(), head.hash()}; }

void ToProto(const VerifyReport& report, v1::VerifyReport* out) {
  out->set_ok(report.ok);
  out->set_entries_checked(report.entries_checked);
  out->set_accounts_checked(report.accounts_checked);
  out->set_first_bad_seq(report.first_bad_seq);
  out->set_problem(report.problem);
}

VerifyReport FromProto(const v1::VerifyReport& report) {
  return VerifyReport{report.ok(), report.entries_checked(), report.accounts_checked(),
                      report.first_bad_seq(), report.problem()};
}

absl::StatusOr<Page> PageFromProto(int32_t page_size, const std::string& page_token) {
  if (page_size < 0) {
    return InvalidField("page_size", "must not be negative");
  }
  Page page;
  page.page_size = page_size == 0 ? kDefaultPageSize : static_cast<size_t>(page_size);
  page.page_token = page_token;
  return page;
}

int32_t PageSizeToProto(size_t page_size) {
  if (page_size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return std::numeric_limits<int32_t>::max();
  }
  return static_cast<int32_t>(page_size);
}

}  // namespace reserve::ledger
