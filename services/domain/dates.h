// Business dates as text: the "YYYY-MM-DD" form every record, receipt fingerprint and CSV
// file uses (an on-disk contract).
#ifndef RESERVE_SERVICES_DOMAIN_DATES_H_
#define RESERVE_SERVICES_DOMAIN_DATES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace reserve::domain {

// "YYYY-MM-DD" (four-digit year, zero-padded month and day).
std::string FormatDate(absl::CivilDay day);

// Strict: exactly "YYYY-MM-DD" naming a real day (not 2023-02-30); nullopt otherwise.
std::optional<absl::CivilDay> ParseDate(absl::string_view text);

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_DATES_H_
