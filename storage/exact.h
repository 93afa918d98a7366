// Exact arithmetic for mass (grams) and money (minor units) — DESIGN.md section 4.
//
// Quantities are int64. Sums are checked (overflow is an error, never wrap-around).
// Products and rates go through 128-bit intermediates and one rounding rule, defined here
// and nowhere else: MulDiv rounds half away from zero.
#ifndef RESERVE_STORAGE_EXACT_H_
#define RESERVE_STORAGE_EXACT_H_

#include <cstdint>
#include <limits>
#include <optional>

namespace reserve {

inline constexpr int64_t kGramsPerTonne = 1'000'000;

// 128-bit intermediates for products. __extension__ keeps -Wpedantic quiet for every includer.
__extension__ typedef __int128 Int128;

// a + b, or nullopt on overflow.
inline std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

// a - b, or nullopt on overflow.
inline std::optional<int64_t> CheckedSub(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_sub_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

// a * b, or nullopt on overflow.
inline std::optional<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

// a * b / d, computed in 128 bits, rounded half away from zero: the one rounding rule.
// nullopt when d == 0 or the result does not fit in int64.
inline std::optional<int64_t> MulDiv(int64_t a, int64_t b, int64_t d) {
  if (d == 0) {
    return std::nullopt;
  }
  Int128 num = static_cast<Int128>(a) * b;
  Int128 den = d;
  bool negative = (num < 0) != (den < 0);
  if (num < 0) num = -num;
  if (den < 0) den = -den;
  Int128 q = num / den;
  Int128 r = num % den;
  if (2 * r >= den) {
    ++q;
  }
  if (negative) q = -q;
  if (q > std::numeric_limits<int64_t>::max() || q < std::numeric_limits<int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(q);
}

// Value in minor units of `mass_g` grams at `price_minor_per_t` per tonne.
inline std::optional<int64_t> ValueOfMass(int64_t mass_g, int64_t price_minor_per_t) {
  return MulDiv(mass_g, price_minor_per_t, kGramsPerTonne);
}

}  // namespace reserve

#endif  // RESERVE_STORAGE_EXACT_H_
