// Shared by the CommercialReserveService and FinancingService glue: who the caller acts for
// (the scope a principal's roles give) and the pledge message.
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
#include "services/common/domain_glue.h"

namespace reserve::commercial_glue {

// The rows `who` may read: unscoped for admin, approver, finance and auditor (the access
// table decides which of them reach a method at all); else the one bank:<id> or
// enterprise:<id> role. PERMISSION_DENIED for a principal with several such roles.
absl::StatusOr<commercial::Scope> ScopeOf(const Principal& who);

// The bank `who` acts for: its one bank:<id> role (PERMISSION_DENIED otherwise).
absl::StatusOr<std::string> BankOf(const Principal& who);

// Dates, contexts, commit info and page sizes: services/common/domain_glue.h.

void ToProto(const commercial::Pledge& p, v1::Pledge* out);

}  // namespace reserve::commercial_glue

#endif  // RESERVE_SERVICES_COMMERCIAL_GLUE_H_
