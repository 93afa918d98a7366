#include "clients/reservectl/decimal.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "storage/exact.h"

namespace reserve::ctl {

namespace {

constexpr int64_t kPow10[] = {1,           10,           100,          1000,      10000,
                              100000,      1000000,      10000000,     100000000, 1000000000,
                              10000000000, 100000000000, 1000000000000};
constexpr int kMaxPow10 = 12;

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not ", why));
}

}  // namespace

absl::StatusOr<Decimal> ParseDecimal(absl::string_view text, int max_scale) {
  absl::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty()) {
    return Bad(text, "a decimal number");
  }
  Decimal out;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : rest) {
    if (c == '.') {
      if (seen_point) {
        return Bad(text, "a decimal number");
      }
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return Bad(text, "a decimal number");
    }
    seen_digit = true;
    if (seen_point) {
      ++out.scale;
      if (out.scale > max_scale) {
        return Bad(text, absl::StrCat("allowed more than ", max_scale, " decimals"));
      }
    }
    std::optional<int64_t> times_ten = CheckedMul(out.mantissa, 10);
    std::optional<int64_t> next =
        times_ten ? CheckedAdd(*times_ten, c - '0') : std::optional<int64_t>();
    if (!next) {
      return Bad(text, "in range");
    }
    out.mantissa = *next;
  }
  if (!seen_digit) {
    return Bad(text, "a decimal number");
  }
  if (negative) {
    out.mantissa = -out.mantissa;
  }
  return out;
}

absl::StatusOr<int64_t> ParseScaled(absl::string_view text, int scale) {
  if (scale < 0 || scale > kMaxPow10) {
    return absl::InvalidArgumentError("scale out of range");
  }
  absl::StatusOr<Decimal> d = ParseDecimal(text, scale);
  if (!d.ok()) {
    return d.status();
  }
  std::optional<int64_t> v = CheckedMul(d->mantissa, kPow10[scale - d->scale]);
  if (!v) {
    return Bad(text, "in range");
  }
  return *v;
}

absl::StatusOr<int64_t> TonnesToGrams(absl::string_view tonnes) {
  return ParseScaled(tonnes, kMaxDecimalScale);
}

absl::StatusOr<int64_t> ConvertPriceToMinor(absl::string_view price, absl::string_view rate) {
  absl::StatusOr<Decimal> p = ParseDecimal(price, kMaxDecimalScale);
  if (!p.ok()) {
    return p.status();
  }
  absl::StatusOr<Decimal> r = ParseDecimal(rate, kMaxDecimalScale);
  if (!r.ok()) {
    return r.status();
  }
  // minor = p.m / 10^p.s * r.m / 10^r.s * 100 = (p.m * 100 * r.m) / 10^(p.s + r.s)
  std::optional<int64_t> rate_x100 = CheckedMul(r->mantissa, 100);
  if (!rate_x100) {
    return Bad(rate, "in range");
  }
  std::optional<int64_t> minor = MulDiv(p->mantissa, *rate_x100, kPow10[p->scale + r->scale]);
  if (!minor) {
    return Bad(price, "convertible without overflow");
  }
  return *minor;
}

std::string FormatScaled(int64_t value, int scale, int min_decimals) {
  const bool negative = value < 0;
  // Magnitude in unsigned arithmetic so INT64_MIN formats correctly.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const uint64_t unit = static_cast<uint64_t>(kPow10[scale]);
  std::string whole = absl::StrCat(magnitude / unit);
  std::string frac;
  if (scale > 0) {
    frac = absl::StrCat(magnitude % unit);
    frac.insert(0, static_cast<size_t>(scale) - frac.size(), '0');
    while (static_cast<int>(frac.size()) > min_decimals && frac.back() == '0') {
      frac.pop_back();
    }
  }
  std::string out = negative ? "-" : "";
  absl::StrAppend(&out, whole);
  if (!frac.empty()) {
    absl::StrAppend(&out, ".", frac);
  }
  return out;
}

}  // namespace reserve::ctl
