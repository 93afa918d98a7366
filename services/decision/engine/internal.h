// Helpers shared by the engine's sources; not part of its public interface.
#ifndef RESERVE_SERVICES_DECISION_ENGINE_INTERNAL_H_
#define RESERVE_SERVICES_DECISION_ENGINE_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace reserve::decision::engine::internal {

// RESOURCE_EXHAUSTED naming `field` (payload as storage/errors.h InvalidField) for a count
// above `limit`.
absl::Status TooMany(absl::string_view field, size_t count, size_t limit);

// INVALID_ARGUMENT naming `field` unless lo <= value <= hi.
absl::Status CheckRange(absl::string_view field, int64_t value, int64_t lo, int64_t hi);

// 1..kMaxMetalCodeLength characters of A-Z, 0-9, '-', '_'.
bool IsMetalCode(absl::string_view code);
// 1..max_length printable ASCII characters (0x21..0x7e: no spaces, no control characters).
bool IsPrintableId(absl::string_view id, size_t max_length);

// Exact decimal text of `value` / 10^scale with thousands separators and exactly `decimals`
// fractional digits (value must be a multiple of 10^(scale - decimals) for exactness; other
// digits are cut, never rounded): FormatScaled(1234567, 3, 1) == "1,234.5".
std::string FormatScaled(int64_t value, int scale, int decimals);
// Tonnes from grams with up to 6 decimals, trailing zeros dropped: "1,200 t", "0.25 t".
std::string Tonnes(int64_t grams);
// Money from minor units, two decimals: "18,450.00 CNY".
std::string Money(int64_t minor, absl::string_view currency);
// Price per tonne: "18,450.00 CNY/t".
std::string PricePerT(int64_t minor_per_t, absl::string_view currency);
// Basis points as a percentage with two decimals: 4500 -> "45.00%".
std::string Percent(int64_t bp);

// The most grams whose ValueOfMass at `price_minor_per_t` is <= `money_minor` (both >= 0,
// price > 0), capped at `cap_g`. Exact: the inverse of MulDiv's rounding.
int64_t AffordableGrams(int64_t money_minor, int64_t price_minor_per_t, int64_t cap_g);

}  // namespace reserve::decision::engine::internal

#endif  // RESERVE_SERVICES_DECISION_ENGINE_INTERNAL_H_
