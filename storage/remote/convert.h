// Ledger types <-> reserve.v1 protos (proto/reserve/v1/ledger.proto).
//
// ToProto never fails (every domain value has a wire form). FromProto validates what only
// the wire can get wrong — a missing or impossible date, a negative size — and returns
// INVALID_ARGUMENT naming the field as a path in the request ("transaction.business_date",
// "page_size"). Everything else (limits, empty ids, zero amounts) is checked by the ledger
// itself (ValidateShape), so both implementations reject alike.
#ifndef RESERVE_STORAGE_REMOTE_CONVERT_H_
#define RESERVE_STORAGE_REMOTE_CONVERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reserve/v1/ledger.pb.h"
#include "storage/ledger.h"

namespace reserve::ledger {

void ToProto(absl::CivilDay day, v1::Date* out);
// `field` names the date in the request for errors. A date whose fields do not name a real
// calendar day (month 13, 31 April, 29 February 2025) is INVALID_ARGUMENT.
absl::StatusOr<absl::CivilDay> FromProto(const v1::Date& date, absl::string_view field);

void ToProto(const Transaction& tx, v1::Transaction* out);
// `field` is the path of the transaction in the request (e.g. "transaction").
absl::StatusOr<Transaction> FromProto(const v1::Transaction& tx, absl::string_view field);

void ToProto(const Receipt& receipt, v1::Receipt* out);
Receipt FromProto(const v1::Receipt& receipt);

void ToProto(const JournalEntry& entry, v1::JournalEntry* out);
absl::StatusOr<JournalEntry> FromProto(const v1::JournalEntry& entry);

void ToProto(const Record& record, v1::Record* out);
Record FromProto(const v1::Record& record);

void ToProto(const Balance& balance, v1::Balance* out);
Balance FromProto(const v1::Balance& balance);

void ToProto(const AccountMovement& movement, v1::AccountMovement* out);
absl::StatusOr<AccountMovement> FromProto(const v1::AccountMovement& movement);

void ToProto(const Head& head, v1::Head* out);
Head FromProto(const v1::Head& head);

void ToProto(const VerifyReport& report, v1::VerifyReport* out);
VerifyReport FromProto(const v1::VerifyReport& report);

// A page request from the wire: page_size 0 means the default (100); negative is
// INVALID_ARGUMENT "page_size". Range and token checks are the ledger's.
absl::StatusOr<Page> PageFromProto(int32_t page_size, const std::string& page_token);

// The wire form of a domain page size (the ledger validated it: 1..kMaxPageSize).
int32_t PageSizeToProto(size_t page_size);

}  // namespace reserve::ledger

#endif  // RESERVE_STORAGE_REMOTE_CONVERT_H_
