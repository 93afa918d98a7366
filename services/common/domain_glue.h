// What every service's gRPC glue needs between the protos and the domain kit's types
// (services/domain): business dates, the context of a mutation, the commit info of its
// answer, page sizes. Translation only: the rules stay in the domain.
#ifndef RESERVE_SERVICES_COMMON_DOMAIN_GLUE_H_
#define RESERVE_SERVICES_COMMON_DOMAIN_GLUE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "reserve/v1/inventory.pb.h"
#include "reserve/v1/ledger.pb.h"
#include "services/common/auth.h"
#include "services/domain/context.h"

namespace reserve {

// The page size of a List request that leaves page_size 0.
inline constexpr size_t kDefaultPageSize = 100;

// A date message as a day: INVALID_ARGUMENT naming `field` unless it is a real day in
// 1900-01-01..2199-12-31 (the ledger's business dates).
absl::StatusOr<absl::CivilDay> FromProtoDate(const v1::Date& date, absl::string_view field);
void ToProtoDate(absl::CivilDay day, v1::Date* out);

// Today in UTC: the business date of a request that does not name one.
absl::CivilDay Today();

// An optional date field (`has` from the message): today when unset.
absl::StatusOr<absl::CivilDay> DateOrToday(bool has, const v1::Date& date, absl::string_view field);

// A required date field: INVALID_ARGUMENT "required" naming `field` when unset.
absl::StatusOr<absl::CivilDay> RequiredDate(bool has, const v1::Date& date,
                                            absl::string_view field);

// The context of a mutation: `who` acting under `request_id`, on the request's business date
// (today when unset; INVALID_ARGUMENT "business_date" when not a date). The domain checks the
// request id (domain::CheckContext).
absl::StatusOr<domain::Context> MakeContext(const Principal& who, const std::string& request_id,
                                            bool has_date, const v1::Date& date);

// A List request's page size: 0 is kDefaultPageSize; negative or above ledger::kMaxPageSize is
// INVALID_ARGUMENT naming "page_size".
absl::StatusOr<size_t> PageSize(int32_t page_size);

// The commit info of a mutation's answer: the committing sequence number and whether this
// answer is a replay of an earlier identical request.
template <typename T>
void SetCommit(const domain::Mutation<T>& m, v1::CommitInfo* out) {
  out->set_seq(m.seq);
  out->set_replayed(m.replayed);
}

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_DOMAIN_GLUE_H_
