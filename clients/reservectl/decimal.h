// Exact decimal text <-> scaled integers, for mass and money flags and the demo's price
// conversion. No floating point touches a quantity here (DESIGN.md section 4).
#ifndef RESERVE_CLIENTS_RESERVECTL_DECIMAL_H_
#define RESERVE_CLIENTS_RESERVECTL_DECIMAL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve::ctl {

// Most fractional digits a decimal may carry: one gram is 10^-6 t.
inline constexpr int kMaxDecimalScale = 6;

// A parsed decimal: value = mantissa / 10^scale.
struct Decimal {
  int64_t mantissa = 0;
  int scale = 0;  // 0..kMaxDecimalScale (or the caller's limit)
};

// Parses "[-]digits[.digits]" (no thousands separators, no exponent). INVALID_ARGUMENT for anything
// else, more than `max_scale` fractional digits, or overflow.
absl::StatusOr<Decimal> ParseDecimal(absl::string_view text, int max_scale = kMaxDecimalScale);

// `text` times 10^`scale` exactly: ParseScaled("25.125", 6) == 25'125'000. Rejects more than
// `scale` fractional digits (it never rounds).
absl::StatusOr<int64_t> ParseScaled(absl::string_view text, int scale);

// Tonnes as an exact decimal string -> grams ("25.125" -> 25'125'000).
absl::StatusOr<int64_t> TonnesToGrams(absl::string_view tonnes);

// Price text in one currency per tonne times an exchange rate, to minor units (1/100) of
// the other currency per tonne, rounded by reserve::MulDiv (half away from zero):
// ("8123.45", "7.10") -> 5'767'650.
absl::StatusOr<int64_t> ConvertPriceToMinor(absl::string_view price, absl::string_view rate);

// `value` / 10^`scale` as exact decimal text with at least `min_decimals` and at most
// `scale` fractional digits (trailing zeros beyond min_decimals dropped):
// FormatScaled(25'125'000, 6, 3) == "25.125", FormatScaled(5, 2, 2) == "0.05".
std::string FormatScaled(int64_t value, int scale, int min_decimals);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_DECIMAL_H_
