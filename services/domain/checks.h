// Input checks every service applies to what the outside world sends. Each returns OK or
// INVALID_ARGUMENT naming `field` (storage/errors.h InvalidField), with a message for people;
// none of them asserts on input.
#ifndef RESERVE_SERVICES_DOMAIN_CHECKS_H_
#define RESERVE_SERVICES_DOMAIN_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/domain/context.h"

namespace reserve::domain {

// Limits shared by every service (INVALID_ARGUMENT beyond them).
inline constexpr size_t kMaxIdChars = 64;     // ids become parts of ledger keys (<= 256 bytes)
inline constexpr size_t kMaxTextChars = 256;  // names, brands, titles, references, reasons

// Whether ':' may appear in an id. A service that joins ids with ':' into derived ids
// ("<bank>:<fingerprint>", "<enterprise>:<period>") reserves it, so a derived id splits one way.
enum class Colon { kAllowed, kReserved };

// 1 to kMaxIdChars letters, digits and . _ - (and ':' unless reserved): ids become parts of
// ledger keys separated by '/'.
absl::Status CheckId(absl::string_view value, absl::string_view field,
                     Colon colon = Colon::kAllowed);

// Text stored in records and shown to people: at most `max_bytes`, valid UTF-8 without
// control characters (ledger::IsCleanText); empty only when not `required`.
absl::Status CheckText(absl::string_view value, absl::string_view field, bool required,
                       size_t max_bytes = kMaxTextChars);

// 1 to 8 upper-case letters or digits, starting with a letter (the metals catalog's form).
absl::Status CheckMetalCode(absl::string_view code, absl::string_view field);

// Three upper-case letters (ISO 4217, e.g. CNY).
absl::Status CheckCurrency(absl::string_view code, absl::string_view field);

// A day the ledger accepts as a business date: 1900-01-01..2199-12-31.
absl::Status CheckDate(absl::CivilDay day, absl::string_view field);

// A year of such days: 1900..2199.
absl::Status CheckYear(int64_t year, absl::string_view field);

// A mutation's context: request id present, at most `max_request_id_chars` (each service's
// limit keeps its receipt key and ledger request id within ledger::kMaxIdBytes) and clean text;
// business date in range. A context without a principal is UNAUTHENTICATED.
absl::Status CheckContext(const Context& ctx, size_t max_request_id_chars);

// NOT_FOUND with a machine-readable `reason` (UNKNOWN_LOT, UNKNOWN_ORDER ...).
absl::Status NotFound(absl::string_view reason, absl::string_view message);

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_CHECKS_H_
