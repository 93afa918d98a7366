// Shared by the CommercialReserveService and FinancingService glue: who the caller acts for
// (the scope a principal's roles give), proto <-> domain dates, pages and messages.
// Translation only; no business rule lives here.
#ifndef RESERVE_SERVICES_COMMERCIAL_GLUE_H_
#define RESERVE_SERVICES_COMMERCIAL_GLUE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "reserve/v1/commercial.pb.h"
#include "reserve/v1/financing.pb.h"
#include "reserve/v1/inventory.pb.h"
#include "services/commercial/commercial.h"
#include "services/commercial/financing.h"
#include "services/common/auth.h"

namespace reserve::commercial_glue {

// The rows `who` may read: unscoped for admin, approver, finance and auditor (the access
// table decides which of them reach a method at all); else the one bank:<id> or
// enterprise:<id> role. PERMISSION_DENIED for a principal with several such roles.
absl::StatusOr<commercial::Scope> ScopeOf(const Principal& who);

// The bank `who` acts for: its one bank:<id> role (PERMISSION_DENIED otherwise).
absl::StatusOr<std::string> BankOf(const Principal& who);

// Business dates: unset is today (UTC); a set date must be a real day in 1900..2199.
absl::StatusOr<absl::CivilDay> FromProtoDate(const v1::Date& date, absl::string_view field);
// A required date field (INVALID_ARGUMENT "required" when unset).
absl::StatusOr<absl::CivilDay> RequiredDate(bool has, const v1::Date& date,
                                            absl::string_view field);
void ToProtoDate(absl::CivilDay day, v1::Date* out);
absl::StatusOr<commercial::Context> MakeContext(const Principal& who, const std::string& request_id,
                                                bool has_date, const v1::Date& date);

// page_size 0 is the default (100); above kMaxPageSize or negative is INVALID_ARGUMENT.
absl::StatusOr<size_t> PageSize(int32_t page_size);

template <typename T>
void SetCommit(const commercial::Mutation<T>& m, v1::CommitInfo* out) {
  out->set_seq(m.seq);
  out->set_replayed(m.replayed);
}

void ToProto(const commercial::Pledge& p, v1::Pledge* out);

}  // namespace reserve::commercial_glue

#endif  // RESERVE_SERVICES_COMMERCIAL_GLUE_H_
